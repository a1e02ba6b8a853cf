/** The peer: a bare express@5 JSON echo route, the ceiling for any express webhook. */
import express from 'express';

const app = express();
app.use(express.json());
app.post('/echo', (req, res) => {
  res.json({ ok: true, echo: req.body });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`LISTENING ${typeof address === 'object' && address ? address.port : ''}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
