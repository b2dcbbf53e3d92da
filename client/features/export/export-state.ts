import { observable } from '../../state/observable.js';

/** The scope an export dialog opens on. */
export type ExportScopeKind = 'city' | 'entity' | 'view';

/** The open export dialog and the scope it was opened for, or null: the time bar and the inspector both open it. */
export const exportDialog = observable<ExportScopeKind | null>(null);
