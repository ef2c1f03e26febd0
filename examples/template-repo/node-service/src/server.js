import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';

const port = Number(process.env.PORT ?? '${{ values.port or 3000 }}');
const service = '${{ values.name }}';
const startedAt = new Date();

/** Routes of ${{ values.name }}. Kept dependency-free on purpose. */
export async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health') {
    return json(res, 200, {
      status: 'ok',
      service,
      uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    });
  }
  if (url.pathname === '/') {
    const html = await readFile(
      new URL('../public/index.html', import.meta.url),
    );
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(html);
  }
  return json(res, 404, {
    error: `No route for ${req.method} ${url.pathname}`,
  });
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const server = createServer((req, res) => {
    handle(req, res).catch(error => {
      console.error(error);
      json(res, 500, { error: 'internal error' });
    });
  });
  server.listen(port, () => console.log(`${service} listening on :${port}`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
