import type { BookingStatus } from '../../api/types';
import type { BookingFilters } from './BookingsSection';

const STATUSES: BookingStatus[] = ['requested', 'queued', 'approved', 'rejected', 'canceled', 'released'];

/** The environments page keeps its bookings filters in the URL. */
export function validateEnvironmentsSearch(search: Record<string, unknown>): BookingFilters {
  const env = typeof search.environment === 'string' ? search.environment.trim().slice(0, 100) : '';
  return {
    environment: env || undefined,
    status: STATUSES.includes(search.status as BookingStatus) ? (search.status as BookingStatus) : undefined,
  };
}
