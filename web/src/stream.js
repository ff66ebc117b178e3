// The live stream (GET /api/v1/stream, Server-Sent Events) read with fetch(), because EventSource cannot send
// an Authorization header. Parses the event stream itself and reconnects with Last-Event-ID.
import { session } from './session.js';

function parseBlock(block) {
  const event = { type: 'message', data: '', id: null, retry: null };
  let hasData = false;
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event.type = value;
    else if (name === 'data') { event.data += (hasData ? '\n' : '') + value; hasData = true; }
    else if (name === 'id') event.id = value;
    else if (name === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
  }
  return event;
}

/**
 * Open the stream; ``onEvent({type, id, data})`` per event (``data`` parsed JSON), ``onStatus('open'|'retrying'|
 * 'closed')``. Returns a function that closes it.
 */
export function openStream(onEvent, onStatus = () => {}) {
  let lastId = null;
  let retryMs = 3000;
  let stopped = false;
  let controller = null;

  async function run() {
    while (!stopped) {
      const token = session()?.token;
      if (!token) break;
      controller = new AbortController();
      try {
        const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const response = await fetch('/api/v1/stream', { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 401 || response.status === 403) break;
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onStatus('open');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = (buffer + value).replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = parseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event.retry) retryMs = event.retry;
            if (event.id) lastId = event.id;
            if (!event.data && event.type === 'message') continue;
            let data = null;
            try { data = event.data ? JSON.parse(event.data) : null; } catch { data = event.data; }
            onEvent({ type: event.type, id: event.id, data });
          }
        }
      } catch (error) {
        if (stopped) break;
      }
      if (stopped) break;
      onStatus('retrying');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
    onStatus('closed');
  }

  run();
  return () => { stopped = true; controller?.abort(); };
}

export const _parseBlock = parseBlock;

// A list page reloads itself a moment after the cases change (one reload for a burst of events);
// returns the page's clean-up.
export function reloadOnChange(load, delayMs = 400) {
  let timer = null;
  const close = openStream(() => { clearTimeout(timer); timer = setTimeout(load, delayMs); });
  return () => { close(); clearTimeout(timer); };
}
