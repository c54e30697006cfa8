export * from './redis-broadcast.js';
export * from './redis-connection.js';
export * from './redis-event-signal.js';
export * from './redis-job-queue.js';
export * from './redis-lease.js';
export * from './redis-rate-limiter.js';
