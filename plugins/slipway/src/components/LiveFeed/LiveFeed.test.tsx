import { renderInTestApp } from '@backstage/frontend-test-utils';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { slipwayApiRef } from '../../api';
import { FakeSlipwayApi, makeEvent } from '../../__testUtils__/FakeSlipwayApi';
import { LiveFeed } from './LiveFeed';

function renderedIds(): string[] {
  return screen
    .queryAllByTestId('oasis-event')
    .map(row => row.getAttribute('data-event-id')!);
}

async function renderFeed(api: FakeSlipwayApi, pageSize = 50) {
  await renderInTestApp(<LiveFeed pageSize={pageSize} />, {
    apis: [[slipwayApiRef, api]],
  });
  await waitFor(() =>
    expect(
      screen.getByRole('status', { name: 'Connection: Live' }),
    ).toBeInTheDocument(),
  );
}

describe('LiveFeed (new frontend system test app)', () => {
  it('shows history newest first and puts live events on top without a reload', async () => {
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1), makeEvent(2, { title: 'CICDL-PUSH 2' })];
    await renderFeed(api);
    expect(renderedIds()).toEqual(['2', '1']);
    // The stream resumes from the newest history event: no gap.
    expect(api.streamCalls[0].lastEventId).toBe('2');

    act(() =>
      api.emit(
        makeEvent(3, {
          title: 'CICDL-WORKFLOW-STARTED 3',
          status: 'in_progress',
          link: 'https://github.com/acme/shop/actions/runs/3',
        }),
      ),
    );
    await waitFor(() => expect(renderedIds()).toEqual(['3', '2', '1']));
    expect(
      screen.getByRole('link', { name: 'CICDL-WORKFLOW-STARTED 3' }),
    ).toHaveAttribute('href', 'https://github.com/acme/shop/actions/runs/3');
  });

  it('pauses and resumes, holding live events back meanwhile', async () => {
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1)];
    await renderFeed(api);
    fireEvent.click(screen.getByRole('button', { name: /pause/i }));
    expect(
      screen.getByRole('status', { name: 'Connection: Paused' }),
    ).toBeInTheDocument();
    act(() => api.emit(makeEvent(2)));
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: /resume \(1 new\)/i }),
      ).toBeInTheDocument(),
    );
    expect(renderedIds()).toEqual(['1']);
    fireEvent.click(screen.getByRole('button', { name: /resume/i }));
    await waitFor(() => expect(renderedIds()).toEqual(['2', '1']));
  });

  it('shows the reconnect state and resumes after a drop with no gap and no duplicate', async () => {
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1)];
    await renderFeed(api);
    act(() => api.emit(makeEvent(2)));
    await waitFor(() => expect(renderedIds()).toEqual(['2', '1']));

    act(() => api.drop('socket hang up'));
    await waitFor(() =>
      expect(
        screen.getByRole('status', { name: /Connection: Reconnecting/ }),
      ).toBeInTheDocument(),
    );
    // Stored while disconnected.
    api.events.push(makeEvent(3));
    await waitFor(
      () =>
        expect(
          screen.getByRole('status', { name: 'Connection: Live' }),
        ).toBeInTheDocument(),
      { timeout: 30000 },
    );
    await waitFor(() => expect(renderedIds()).toEqual(['3', '2', '1']));
    expect(api.streamCalls.map(c => c.lastEventId)).toEqual(['1', '2']);
    act(() => api.resend(makeEvent(3)));
    act(() => api.emit(makeEvent(4)));
    await waitFor(() => expect(renderedIds()).toEqual(['4', '3', '2', '1']));
  });

  it('loads older pages on demand', async () => {
    const api = new FakeSlipwayApi();
    api.events = Array.from({ length: 7 }, (_, i) => makeEvent(i + 1));
    await renderFeed(api, 5);
    expect(screen.getByText('5 of 5 loaded events shown')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Load older events' }));
    await waitFor(() =>
      expect(
        screen.getByText('7 of 7 loaded events shown'),
      ).toBeInTheDocument(),
    );
    expect(renderedIds()).toEqual(['7', '6', '5', '4', '3', '2', '1']);
    expect(
      screen.getByRole('button', { name: 'Load older events' }),
    ).toBeDisabled();
  });

  it('filters by text locally and by VTID on the server', async () => {
    const api = new FakeSlipwayApi();
    api.events = [
      makeEvent(1, { title: 'CICDL-PUSH', kind: 'push' }),
      makeEvent(2, {
        title: 'CICDL-PR-OPENED',
        kind: 'pull_request',
        vtid: 'DEV-CICDL-0031',
      }),
    ];
    await renderFeed(api);
    fireEvent.change(screen.getByLabelText('Search'), {
      target: { value: 'pr-opened' },
    });
    await waitFor(() => expect(renderedIds()).toEqual(['2']));
    fireEvent.change(screen.getByLabelText('Search'), {
      target: { value: '' },
    });
    fireEvent.change(screen.getByLabelText('VTID'), {
      target: { value: 'DEV-CICDL-0031' },
    });
    await waitFor(() =>
      expect(api.calls).toContain(
        'listEvents {"vtid":"DEV-CICDL-0031","limit":50}',
      ),
    );
    await waitFor(() => expect(renderedIds()).toEqual(['2']));
    // The live stream follows the same filter.
    await waitFor(() =>
      expect(api.streamCalls[api.streamCalls.length - 1]).toEqual({
        filter: { vtid: 'DEV-CICDL-0031' },
        lastEventId: '2',
      }),
    );
  });

  it('says what failed when the history cannot be loaded', async () => {
    const api = new FakeSlipwayApi();
    api.listEventsError = new Error('backend unreachable');
    await renderInTestApp(<LiveFeed />, { apis: [[slipwayApiRef, api]] });
    expect(
      await screen.findByText(/Could not load Slipway events/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/backend unreachable/).length).toBeGreaterThan(
      0,
    );
  });

  it('shows an empty state when nothing matches', async () => {
    const api = new FakeSlipwayApi();
    await renderFeed(api);
    expect(screen.getByText('No events match.')).toBeInTheDocument();
    // With no history the stream replays from the beginning, closing the gap.
    expect(api.streamCalls[0].lastEventId).toBe('0');
  });
});
