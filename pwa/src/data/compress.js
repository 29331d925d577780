// Makes a picked photo small enough to send over a weak signal: long edge at most 1600 px,
// re-encoded as JPEG through a canvas (which drops EXIF, location included). One photo at a
// time, so a low-memory phone never decodes two camera images at once. PDFs are kept as they are.
// browser-image-compression is imported only here and only when a photo is picked, so it is not
// on the first-load path; its web-worker mode would fetch the library from a CDN, so it runs on
// the page (useWebWorker: false), which works offline from the precached chunk.
import { MAX_FILE_BYTES, PHOTO, fileKind } from './blobstate.js';

let queue = Promise.resolve();

export class FileRefused extends Error {
  constructor(reason, detail = {}) {
    super(reason);
    this.reason = reason; // 'too_large' | 'wrong_type' | 'failed'
    this.detail = detail;
  }
}

/** Fetch the compression library ahead of need (a signed-in device, while online). */
export function warm() {
  return import('browser-image-compression');
}

async function compressImage(file) {
  const { default: imageCompression } = await import('browser-image-compression');
  const out = await imageCompression(file, {
    maxWidthOrHeight: PHOTO.maxLongEdge,
    maxSizeMB: PHOTO.maxBytes / (1024 * 1024),
    // lower the quality, never the resolution, to reach the size: an ID card must stay legible
    alwaysKeepResolution: true,
    initialQuality: PHOTO.initialQuality,
    fileType: PHOTO.mime,
    maxIteration: 8,
    useWebWorker: false,
    preserveExif: false,
  });
  return new Blob([out], { type: PHOTO.mime });
}

/** The bytes to keep for a picked file: {blob, mime}. Throws FileRefused. */
export function prepareFile(file, fieldType) {
  const run = async () => {
    const kind = fileKind(file.type, fieldType);
    if (!kind) throw new FileRefused('wrong_type');
    if (kind === 'pdf') {
      if (file.size > MAX_FILE_BYTES) throw new FileRefused('too_large', { size: file.size });
      return { blob: new Blob([file], { type: 'application/pdf' }), mime: 'application/pdf' };
    }
    let blob;
    try {
      blob = await compressImage(file);
    } catch (err) {
      console.error(err);
      throw new FileRefused('failed');
    }
    if (blob.size > MAX_FILE_BYTES) throw new FileRefused('too_large', { size: blob.size });
    return { blob, mime: PHOTO.mime };
  };
  const next = queue.catch(() => {}).then(run);
  queue = next.catch(() => {});
  return next;
}
