// Uploads files to `/blobs/uploads` with tus-js-client, as the PWA does (256 KB chunks, resumed
// with HEAD after a cut), and reports what it sent. For the cut test and the blob bench.
// Input (JSON on stdin): {endpoint, cookie, files: [{path, sha256, mime, field}], chunkSize?, retryDelays?, keepAlive?}
// Output (last line of stdout, JSON): {results: [{sha256, ok, url, error}], resent, patches, heads, posts, ms}
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Upload } from 'tus-js-client';

const input = JSON.parse(readFileSync(0, 'utf8'));
// {keepAlive: false}: one connection per request, so the cutting proxy's budget applies to each
// request (with keep-alive, a connection whose cut fell on its tiny answers carries the rest unharmed)
if (input.keepAlive === false) http.globalAgent = new http.Agent({ keepAlive: false });
const chunkSize = input.chunkSize || 256 * 1024;
const retryDelays = input.retryDelays || [0, 100, 300, 500, 1000, 1000, 1000, 2000, 2000, 2000];
const counts = { resent: 0, patches: 0, heads: 0, posts: 0 };

function uploadOne(file) {
  const data = readFileSync(file.path);
  let high = 0; // the furthest byte handed to the network so far
  return new Promise((resolve) => {
    const upload = new Upload(data, {
      endpoint: input.endpoint,
      chunkSize,
      retryDelays,
      uploadSize: data.length,
      metadata: { sha256: file.sha256, mime: file.mime, field: file.field || '', filename: file.filename || 'foto.jpg' },
      headers: { Cookie: input.cookie },
      storeFingerprintForResuming: false,
      onBeforeRequest(req) {
        const method = req.getMethod();
        if (method === 'PATCH') {
          counts.patches += 1;
          counts.resent += Math.max(0, high - Number(req.getHeader('Upload-Offset'))); // bytes that already went out once
        } else if (method === 'HEAD') counts.heads += 1;
        else if (method === 'POST') counts.posts += 1;
      },
      onProgress(bytesSent) {
        high = Math.max(high, bytesSent); // absolute: the PATCH's offset plus what it wrote
      },
      onError(err) {
        resolve({ sha256: file.sha256, ok: false, error: String(err).slice(0, 300) });
      },
      onSuccess() {
        resolve({ sha256: file.sha256, ok: true, url: upload.url });
      },
    });
    upload.start();
  });
}

const t0 = Date.now();
const results = [];
for (const file of input.files) results.push(await uploadOne(file)); // one at a time, as the PWA sends them
console.log(JSON.stringify({ results, ...counts, ms: Date.now() - t0 }));
