import { ApiFailure, type Schemas } from '../../api/client';

/** What detection looks at: the preview sends only this much of the file (libs/contacts SNIFF_BYTES). */
export const SAMPLE_BYTES = 64 * 1024;

function failure(status: number, statusText: string, text: string): ApiFailure {
  let body: { message?: unknown; fields?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new ApiFailure(
    status,
    typeof body.message === 'string' ? body.message : `${status} ${statusText}`,
    body.fields !== null && typeof body.fields === 'object' ? (body.fields as Record<string, string>) : {},
  );
}

/** The file's first rows and the column targets an import would use, from its first 64 KiB. */
export async function previewCsv(
  file: File,
  unknownColumns: 'ignore' | 'attributes',
): Promise<Schemas['ImportPreviewDto']> {
  const form = new FormData();
  form.append('unknownColumns', unknownColumns);
  form.append('file', file.slice(0, SAMPLE_BYTES), file.name);
  const response = await fetch('/api/v1/imports/preview', { method: 'POST', body: form });
  const text = await response.text();
  if (!response.ok) throw failure(response.status, response.statusText, text);
  return JSON.parse(text) as Schemas['ImportPreviewDto'];
}

export interface ImportRequest {
  file: File;
  listId: string | null;
  mode: 'upsert' | 'skip-existing';
  unknownColumns: 'ignore' | 'attributes';
  mapping: Record<string, string>;
}

/**
 * Uploads the file and starts the import. XMLHttpRequest rather than fetch:
 * only it reports upload progress, which a large file needs.
 */
export function startImport(request: ImportRequest, onProgress: (share: number) => void): Promise<{ id: string }> {
  const form = new FormData();
  if (request.listId) form.append('listId', request.listId);
  form.append('mode', request.mode);
  form.append('unknownColumns', request.unknownColumns);
  if (Object.keys(request.mapping).length > 0) form.append('mapping', JSON.stringify(request.mapping));
  // The file last: the fields arrive before it, as multer reads the parts in order.
  form.append('file', request.file, request.file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/imports');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(JSON.parse(xhr.responseText) as { id: string });
      } else reject(failure(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new Error('the upload was interrupted'));
    xhr.send(form);
  });
}
