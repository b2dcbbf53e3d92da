// Texts of the console's reports queue, Vietnamese first; English has exactly the same keys.
import { translatorFor, type MessageTables } from '../../field/texts.js';

const vi = {
  'reports.title': 'Phản ánh',
  'reports.count': '{n} đang mở',
  'reports.overdueCount': '{n} quá hạn',
  'reports.empty': 'Không có phản ánh nào đang mở',
  'reports.loading': 'Đang tải phản ánh…',
  'reports.loadError': 'Không tải được phản ánh: {message}',
  'reports.show': 'Hiện phản ánh',
  'reports.hide': 'Ẩn phản ánh',
  'reports.onMap': 'Trên bản đồ',
  'reports.status.received': 'Mới',
  'reports.status.assigned': 'Đã giao',
  'reports.status.in_progress': 'Đang xử lý',
  'reports.status.resolved': 'Đã xử lý',
  'reports.status.rejected': 'Từ chối',
  'reports.overdue': 'Quá hạn {span}',
  'reports.due': 'Hạn còn {span}',
  'reports.unassigned': 'Chưa giao',
  'reports.assignee': 'Phụ trách: {name}',
  'reports.contact': 'Liên hệ: {contact}',
  'reports.assign': 'Giao việc',
  'reports.start': 'Bắt đầu',
  'reports.resolve': 'Xử lý xong',
  'reports.reject': 'Từ chối',
  'reports.assignTo': 'Tên đăng nhập người phụ trách',
  'reports.result': 'Kết quả xử lý',
  'reports.reason': 'Lý do từ chối',
  'reports.confirm': 'Xác nhận',
  'reports.cancel': 'Huỷ',
  'reports.locate': 'Xem bản đồ',
};

const en: Record<keyof typeof vi, string> = {
  'reports.title': 'Citizen reports',
  'reports.count': '{n} open',
  'reports.overdueCount': '{n} overdue',
  'reports.empty': 'No open reports',
  'reports.loading': 'Loading reports…',
  'reports.loadError': 'Could not load reports: {message}',
  'reports.show': 'Show reports',
  'reports.hide': 'Hide reports',
  'reports.onMap': 'On the map',
  'reports.status.received': 'New',
  'reports.status.assigned': 'Assigned',
  'reports.status.in_progress': 'In progress',
  'reports.status.resolved': 'Resolved',
  'reports.status.rejected': 'Rejected',
  'reports.overdue': 'Overdue by {span}',
  'reports.due': 'Due in {span}',
  'reports.unassigned': 'Unassigned',
  'reports.assignee': 'Assigned to {name}',
  'reports.contact': 'Contact: {contact}',
  'reports.assign': 'Assign',
  'reports.start': 'Start',
  'reports.resolve': 'Resolve',
  'reports.reject': 'Reject',
  'reports.assignTo': 'Username to assign',
  'reports.result': 'Result',
  'reports.reason': 'Why it is rejected',
  'reports.confirm': 'Confirm',
  'reports.cancel': 'Cancel',
  'reports.locate': 'Show on map',
};

export type ReportsMessageKey = keyof typeof vi;
export const REPORTS_MESSAGES: MessageTables<ReportsMessageKey> = { vi, en };

/** Translates a reports-queue key in the active language. */
export const qt = translatorFor(REPORTS_MESSAGES);
