// Tests of a resumed log tail: the backfill's repeated lines are skipped, new ones pass, markers are sent.
import { describe, expect, it } from 'vitest';
import { LogStreamEntry, type LogStreamEvent } from './log-stream.js';

const lines = (...texts: string[]) => texts.map((line, i) => ({ ts: 100 + i, line }));

function entry(): { tail: LogStreamEntry; events: LogStreamEvent[] } {
  const events: LogStreamEvent[] = [];
  return { tail: new LogStreamEntry({ hostId: 'h1', source: 'app' }, (e) => events.push(e)), events };
}

function texts(events: LogStreamEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'lines' ? e.lines.map((l) => l.line) : [`<${e.type}>`]));
}

describe('LogStreamEntry', () => {
  it('skips the part of a resumed backfill the view already has, even with new timestamps', () => {
    const { tail, events } = entry();
    tail.attached('s1');
    tail.lines(lines('a', 'b', 'c'));
    tail.detached('connection lost');
    tail.attached('s2');
    tail.lines(lines('b', 'c', 'd', 'e'));
    expect(texts(events)).toEqual(['a', 'b', 'c', '<interrupted>', '<resumed>', 'd', 'e']);
  });

  it('follows a backfill split over several batches', () => {
    const { tail, events } = entry();
    tail.attached('s1');
    tail.lines(lines('1', '2', '3', '4'));
    tail.detached('connection lost');
    tail.attached('s2');
    tail.lines(lines('2', '3'));
    tail.lines(lines('4', '5'));
    tail.lines(lines('2'));
    expect(texts(events).slice(6)).toEqual(['5', '2']);
  });

  it('keeps every line of a backfill that does not repeat the last lines seen', () => {
    const { tail, events } = entry();
    tail.attached('s1');
    tail.lines(lines('old'));
    tail.detached('agent offline');
    tail.attached('s2');
    tail.lines(lines('rotated', 'file'));
    expect(texts(events).slice(3)).toEqual(['rotated', 'file']);
  });

  it('announces an interruption once however often it is detached', () => {
    const { tail, events } = entry();
    tail.detached('connection lost');
    tail.detached('connection lost');
    expect(events).toEqual([{ type: 'interrupted', reason: 'connection lost' }]);
  });
});
