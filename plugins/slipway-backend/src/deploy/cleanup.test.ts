import { CleanupStack, logCleanupFailure } from './cleanup';

function collectingLogger() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    logger: {
      warn: (message: string) => lines.push({ level: 'warn', message }),
      debug: (message: string) => lines.push({ level: 'debug', message }),
    },
  };
}

describe('CleanupStack', () => {
  it('unwinds in reverse order of registration, each cleanup once', async () => {
    const { logger } = collectingLogger();
    const stack = new CleanupStack(logger);
    const order: string[] = [];
    stack.defer('remove checkout', async () => order.push('checkout'));
    stack.defer('remove image', async () => order.push('image'));
    stack.defer('remove container', async () => order.push('container'));
    expect(stack.size).toBe(3);
    await stack.unwind();
    await stack.unwind();
    expect(order).toEqual(['container', 'image', 'checkout']);
    expect(stack.size).toBe(0);
  });

  it('runs one cleanup early and then never again', async () => {
    const { logger } = collectingLogger();
    const stack = new CleanupStack(logger);
    const order: string[] = [];
    const checkout = stack.defer('remove checkout', async () =>
      order.push('checkout'),
    );
    stack.defer('remove image', async () => order.push('image'));
    await checkout.run();
    await checkout.run();
    await stack.unwind();
    expect(order).toEqual(['checkout', 'image']);
  });

  it('keeps going past a failing cleanup and logs it at warn', async () => {
    const { logger, lines } = collectingLogger();
    const stack = new CleanupStack(logger);
    const order: string[] = [];
    stack.defer('remove checkout /tmp/x', async () => order.push('checkout'));
    stack.defer('remove container app-1', async () => {
      throw new Error('the engine said no');
    });
    await expect(stack.unwind()).resolves.toBeUndefined();
    expect(order).toEqual(['checkout']);
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'Could not remove container app-1: the engine said no',
      },
    ]);
  });

  it('logs a resource that is already gone (404) at debug', () => {
    const { logger, lines } = collectingLogger();
    const gone = Object.assign(new Error('no such image: x'), {
      statusCode: 404,
    });
    logCleanupFailure(logger, 'remove image x', gone);
    expect(lines).toEqual([
      {
        level: 'debug',
        message: 'Could not remove image x: no such image: x (already gone)',
      },
    ]);
  });

  it('release hands what must survive to a stack of its own', async () => {
    const { logger } = collectingLogger();
    const stack = new CleanupStack(logger);
    const order: string[] = [];
    stack.defer('remove image', async () => order.push('image'));
    stack.defer('remove container', async () => order.push('container'));
    const released = stack.release();
    await stack.unwind();
    expect(order).toEqual([]);
    expect(released.size).toBe(2);
    await released.unwind();
    expect(order).toEqual(['container', 'image']);
  });

  it('release of one cleanup drops it without running it', async () => {
    const { logger } = collectingLogger();
    const stack = new CleanupStack(logger);
    const order: string[] = [];
    const container = stack.defer('remove container', async () =>
      order.push('container'),
    );
    container.release();
    await stack.unwind();
    expect(order).toEqual([]);
  });
});
