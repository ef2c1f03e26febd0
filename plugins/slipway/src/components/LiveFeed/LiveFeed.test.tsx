import { renderInTestApp } from '@backstage/frontend-test-utils';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { slipwayApiRef } from '../../api';
import {
  RealBackend,
  RecordingClient,
  startRealBackend,
  streamRequests,
} from '../../__testUtils__/realBackend';
import { LiveFeed } from './LiveFeed';

function renderedIds(): string[] {
  return screen
    .queryAllByTestId('oasis-event')
    .map(row => row.getAttribute('data-event-id')!);
}

// A backend of its own per test: the feed shows every event there is.
let backend: RealBackend;
let client: RecordingClient;
beforeEach(async () => {
  backend = await startRealBackend();
  client = backend.client();
});
afterEach(async () => {
  cleanup();
  await backend.stop();
});

async function renderFeed(pageSize = 50) {
  await renderInTestApp(<LiveFeed pageSize={pageSize} />, {
    apis: [[slipwayApiRef, client.api]],
  });
  await waitFor(() =>
    expect(
      screen.getByRole('status', { name: 'Connection: Live' }),
    ).toBeInTheDocument(),
  );
}

describe('LiveFeed (new frontend system test app, real backend)', () => {
  it('shows history newest first and puts live events on top without a reload', async () => {
    const first = await backend.publish();
    const second = await backend.publish({ title: 'CICDL-PUSH 2' });
    await renderFeed();
    expect(renderedIds()).toEqual([second.id, first.id]);
    // The stream resumes from the newest history event: no gap.
    expect(streamRequests(client.requests)[0].lastEventId).toBe(second.id);
    const listsBefore = client.requests.filter(r =>
      r.path.startsWith('/events?'),
    ).length;

    const third = await backend.publish({
      title: 'CICDL-WORKFLOW-STARTED 3',
      status: 'in_progress',
      link: 'https://github.com/acme/shop/actions/runs/3',
    });
    await waitFor(() =>
      expect(renderedIds()).toEqual([third.id, second.id, first.id]),
    );
    expect(
      screen.getByRole('link', { name: 'CICDL-WORKFLOW-STARTED 3' }),
    ).toHaveAttribute('href', 'https://github.com/acme/shop/actions/runs/3');
    // Live, not reloaded.
    expect(
      client.requests.filter(r => r.path.startsWith('/events?')).length,
    ).toBe(listsBefore);
  });

  it('pauses and resumes, holding live events back meanwhile', async () => {
    const first = await backend.publish();
    await renderFeed();
    fireEvent.click(screen.getByRole('button', { name: /pause/i }));
    expect(
      screen.getByRole('status', { name: 'Connection: Paused' }),
    ).toBeInTheDocument();
    const second = await backend.publish();
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: /resume \(1 new\)/i }),
      ).toBeInTheDocument(),
    );
    expect(renderedIds()).toEqual([first.id]);
    fireEvent.click(screen.getByRole('button', { name: /resume/i }));
    await waitFor(() => expect(renderedIds()).toEqual([second.id, first.id]));
  });

  it('shows the reconnect state and resumes after a drop with no gap and no duplicate', async () => {
    const first = await backend.publish();
    await renderFeed();
    const second = await backend.publish();
    await waitFor(() => expect(renderedIds()).toEqual([second.id, first.id]));

    // The connection breaks; the client waits before it reconnects.
    backend.dropConnections();
    await waitFor(() =>
      expect(
        screen.getByRole('status', { name: /Connection: Reconnecting/ }),
      ).toBeInTheDocument(),
    );
    // Stored while disconnected (or, on a slow machine, just after).
    const third = await backend.publish();
    await waitFor(
      () =>
        expect(
          screen.getByRole('status', { name: 'Connection: Live' }),
        ).toBeInTheDocument(),
      { timeout: 30000 },
    );
    await waitFor(() =>
      expect(renderedIds()).toEqual([third.id, second.id, first.id]),
    );
    expect(streamRequests(client.requests).map(c => c.lastEventId)).toEqual([
      first.id,
      second.id,
    ]);
    const fourth = await backend.publish();
    await waitFor(() =>
      expect(renderedIds()).toEqual([fourth.id, third.id, second.id, first.id]),
    );
  });

  it('loads older pages on demand', async () => {
    const events = [];
    for (let i = 1; i <= 7; i++) events.push(await backend.publish());
    const ids = events.map(e => e.id).reverse();
    await renderFeed(5);
    expect(screen.getByText('5 of 5 loaded events shown')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Load older events' }));
    await waitFor(() =>
      expect(
        screen.getByText('7 of 7 loaded events shown'),
      ).toBeInTheDocument(),
    );
    expect(renderedIds()).toEqual(ids);
    expect(
      screen.getByRole('button', { name: 'Load older events' }),
    ).toBeDisabled();
  });

  it('filters by text locally and by VTID on the server', async () => {
    await backend.publish({ title: 'CICDL-PUSH', kind: 'push' });
    const opened = await backend.publish({
      title: 'CICDL-PR-OPENED',
      kind: 'pull_request',
      vtid: 'DEV-CICDL-0031',
    });
    await renderFeed();
    fireEvent.change(screen.getByLabelText('Search'), {
      target: { value: 'pr-opened' },
    });
    await waitFor(() => expect(renderedIds()).toEqual([opened.id]));
    fireEvent.change(screen.getByLabelText('Search'), {
      target: { value: '' },
    });
    fireEvent.change(screen.getByLabelText('VTID'), {
      target: { value: 'DEV-CICDL-0031' },
    });
    await waitFor(() =>
      expect(client.requests.map(r => r.path)).toContain(
        '/events?vtid=DEV-CICDL-0031&limit=50',
      ),
    );
    await waitFor(() => expect(renderedIds()).toEqual([opened.id]));
    // The live stream follows the same filter.
    await waitFor(() =>
      expect(streamRequests(client.requests).pop()).toEqual({
        path: '/events/stream?vtid=DEV-CICDL-0031',
        lastEventId: opened.id,
      }),
    );
  });

  it('says what failed when the history cannot be loaded', async () => {
    // Nothing listens any more.
    await backend.stop();
    await renderInTestApp(<LiveFeed />, {
      apis: [[slipwayApiRef, client.api]],
    });
    expect(
      await screen.findByText(/Could not load Slipway events/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/fetch failed/).length).toBeGreaterThan(0);
  });

  it('shows an empty state when nothing matches', async () => {
    await renderFeed();
    expect(screen.getByText('No events match.')).toBeInTheDocument();
    // With no history the stream replays from the beginning, closing the gap.
    expect(streamRequests(client.requests)[0].lastEventId).toBe('0');
  });
});
