// Docker HEALTHCHECK for the portal: exit 0 when GET <url> answers 2xx within 4 s. Plain
// JavaScript so it starts fast (no TypeScript loader).
const url = process.argv[2] || 'http://127.0.0.1:3000/api/health';
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
