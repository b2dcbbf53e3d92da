import type { ComparisonOp } from '../../../contract/index.js';

/** `left op right`; ordering operators hold only between two numbers, `==`/`!=` compare strictly. */
export function compare(left: number | boolean | string, op: ComparisonOp, right: number | boolean | string): boolean {
  switch (op) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    default:
      if (typeof left !== 'number' || typeof right !== 'number') return false;
      if (op === '>') return left > right;
      if (op === '>=') return left >= right;
      if (op === '<') return left < right;
      return left <= right;
  }
}
