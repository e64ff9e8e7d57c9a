export { localDay, type DayInterval } from './local-day';
export { readMtaState, readMtaStateFor, countedEvents, type CountedEvent, type MtaState, type MtaStateOptions } from './mta-state';
export { mtaStateMetrics } from './mta-metrics';
export { PrometheusText, prometheusContentType, readSamples, type Labels, type Sample } from './prometheus';
export { metricsAccess, type MetricsAccess } from './access';
export { MtaCounters, mtaCounters, countingLog, timedSigner } from './mta-counters';
export { startMtaStatusServer, type MtaStatusServer, type MtaStatusServerOptions } from './status-server';
