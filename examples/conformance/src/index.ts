export { type ConformanceAppOptions, type ConformanceHandler, createConformanceApp } from './app';
export { PATTERN_MODULUS } from './byte-pattern';
export { EVENT_COUNT, EVENT_INTERVAL_MS, formatEvent } from './event-stream';
export { type AppStats, createStats } from './stats';
