/**
 * prom-client's metric classes, loaded one by one. Its root entry also loads every default
 * collector, and one of them (process CPU, for exemplars) loads `@opentelemetry/api`: 80
 * modules of the 88 `require('prom-client')` costs. The process metrics Switchboard exports
 * are in `process-metrics.ts` instead.
 *
 * @module
 */
import type * as Prom from 'prom-client';

export const Counter = require('prom-client/lib/counter') as typeof Prom.Counter;
export const Gauge = require('prom-client/lib/gauge') as typeof Prom.Gauge;
export const Histogram = require('prom-client/lib/histogram') as typeof Prom.Histogram;
export const Registry = require('prom-client/lib/registry') as typeof Prom.Registry;
export type Counter<T extends string = string> = Prom.Counter<T>;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export type Histogram<T extends string = string> = Prom.Histogram<T>;
export type Registry = Prom.Registry;
