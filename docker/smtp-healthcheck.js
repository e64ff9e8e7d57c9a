// Docker HEALTHCHECK for the MTA: exit 0 when the SMTP server at <host> <port> greets with 220.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, started by Docker without a loader
const net = require('node:net');
const [host = '127.0.0.1', port = '2525'] = process.argv.slice(2);
const socket = net.connect(Number(port), host);
socket.setTimeout(4000, () => process.exit(1));
socket.on('error', () => process.exit(1));
socket.once('data', (chunk) => {
  const ok = /^220[ -]/.test(chunk.toString('latin1'));
  socket.end('QUIT\r\n');
  process.exit(ok ? 0 : 1);
});
