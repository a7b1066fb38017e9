/**
 * HTTP status for each error code of the API.
 */
import type { ErrorCode } from '../../common/errors.js';

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'UNAUTHORIZED':
      return 401;
    case 'FILE_NOT_FOUND':
    case 'SWEEP_NOT_FOUND':
    case 'DEVICE_NOT_FOUND':
      return 404;
    case 'CANCELLED':
      return 409;
    case 'INTERNAL':
      return 500;
    case 'SYSTEM_DEPENDENCY_MISSING':
      return 503;
    default:
      return 400;
  }
}
