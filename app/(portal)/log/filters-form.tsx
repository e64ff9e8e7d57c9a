'use client';
/**
 * The log search filters: a GET form (the search lives in the URL), with the same checks as the
 * server made inline while typing — the server's own verdict (`errors`) is shown too, and is the
 * one that counts; this only spares a round trip.
 */
import { useState, type ReactNode } from 'react';

type Field = 'from' | 'to' | 'sender' | 'recipient' | 'messageId' | 'kind' | 'outcome' | 'domain';

export interface FiltersFormProps {
  values: Record<Field, string>;
  errors: Partial<Record<Field, string>>;
  labels: Record<Field | 'any' | 'search' | 'reset', string>;
  messages: { date: string; order: string; tooLong: string; address: string; domain: string; messageId: string };
  kinds: [string, string][];
  outcomes: [string, string][];
  maxMonths: number;
}

const input =
  'mt-1 block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2';
const ok = 'border-slate-300 focus:border-blue-500 focus:ring-blue-200';
const bad = 'border-red-400 focus:border-red-500 focus:ring-red-200';
const addressPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const domainPattern = /^@?[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

function monthsLater(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1 + months, d)).toISOString().slice(0, 10);
}

export function FiltersForm({ values, errors, labels, messages, kinds, outcomes, maxMonths }: FiltersFormProps) {
  const [v, setV] = useState(values);
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});

  const local: Partial<Record<Field, string>> = {};
  const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);
  if (!isDay(v.from)) local.from = messages.date;
  if (!isDay(v.to)) local.to = messages.date;
  if (isDay(v.from) && isDay(v.to)) {
    if (v.to < v.from) local.to = messages.order;
    // the last day is included: from + 30 months must reach past it
    else if (monthsLater(v.from, maxMonths) <= v.to) local.from = messages.tooLong;
  }
  if (v.sender && !addressPattern.test(v.sender)) local.sender = messages.address;
  if (v.recipient && !addressPattern.test(v.recipient)) local.recipient = messages.address;
  if (v.domain && !domainPattern.test(v.domain)) local.domain = messages.domain;
  if (v.messageId && /\s/.test(v.messageId.trim())) local.messageId = messages.messageId;

  // a field's message: the live check once the field was touched, else the server's verdict
  const message = (f: Field) => (touched[f] ? local[f] : (errors[f] ?? undefined));
  const set = (f: Field) => (e: { target: { value: string } }) => {
    setV({ ...v, [f]: e.target.value });
    setTouched({ ...touched, [f]: true });
  };
  const blocked = Object.keys(local).length > 0;

  const field = (f: Field, control: ReactNode, wide = false) => (
    <label className={`text-xs font-medium text-slate-600 ${wide ? 'sm:col-span-2' : ''}`}>
      {labels[f]}
      {control}
      {message(f) ? (
        <span className="mt-1 block text-xs font-normal text-red-700" role="alert" data-testid={`error-${f}`}>
          {message(f)}
        </span>
      ) : null}
    </label>
  );
  const text = (f: Field, type = 'text', placeholder?: string) => (
    <input
      name={f}
      type={type}
      value={v[f]}
      onChange={set(f)}
      placeholder={placeholder}
      aria-invalid={message(f) ? true : undefined}
      className={`${input} ${message(f) ? bad : ok}`}
    />
  );

  return (
    <form
      method="get"
      action="/log"
      className="mb-4 grid grid-cols-1 gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-4"
      data-testid="log-filters"
      onSubmit={(e) => {
        if (blocked) {
          e.preventDefault();
          setTouched({ from: true, to: true, sender: true, recipient: true, domain: true, messageId: true });
        }
      }}
    >
      {field('from', text('from', 'date'))}
      {field('to', text('to', 'date'))}
      {field('sender', text('sender', 'text', 'nome@pec.esempio.it'))}
      {field('recipient', text('recipient', 'text', 'nome@pec.esempio.it'))}
      {field('messageId', text('messageId', 'text', 'opec… / <…@…>'), true)}
      {field('domain', text('domain', 'text', 'pec.esempio.it'))}
      {field(
        'kind',
        <select name="kind" value={v.kind} onChange={set('kind')} className={`${input} ${ok}`}>
          <option value="">{labels.any}</option>
          {kinds.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>,
      )}
      {field(
        'outcome',
        <select name="outcome" value={v.outcome} onChange={set('outcome')} className={`${input} ${ok}`}>
          <option value="">{labels.any}</option>
          {outcomes.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>,
      )}
      <div className="flex items-end gap-3 sm:col-span-2 lg:col-span-4">
        <button
          type="submit"
          className="rounded-md bg-slate-800 px-4 py-2 text-sm font-medium text-white hover:bg-slate-900"
          data-testid="log-search"
        >
          {labels.search}
        </button>
        <a href="/log" className="text-sm text-blue-800 hover:underline">
          {labels.reset}
        </a>
      </div>
    </form>
  );
}
