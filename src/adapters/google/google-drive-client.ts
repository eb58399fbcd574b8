import { z } from 'zod';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import type { GoogleAccount, GoogleDocument, GoogleDocumentDraft, GoogleDrive } from '../../ports/google.ts';
import { exchange, NoAnswerError, type ExchangeAnswer } from '../http-common/exchange.ts';

/** Where Drive is and how long a call may take. */
export interface GoogleDriveClientOptions {
  /** Default `https://www.googleapis.com` (both the metadata and the upload paths live there). */
  readonly apiUrl?: string;
  /** Bound on each call, the answer's body included (default 30 000). */
  readonly timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

const GOOGLE_DOC = 'application/vnd.google-apps.document';

/** Drive's error body (`{ error: { code, message, errors: [{ reason, … }] } }`), the parts read here. */
const errorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional() })).optional(),
  }),
});
const aboutBody = z.object({ user: z.object({ emailAddress: z.string(), displayName: z.string().optional() }) });
const fileBody = z.object({ id: z.string(), name: z.string(), webViewLink: z.string().optional() });

// Drive answers 403 (not 429) when a rate limit is hit; these reasons mean "later", not "never".
const RATE_LIMITED = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'sharingRateLimitExceeded',
  'dailyLimitExceeded',
  'quotaExceeded',
]);

/** What the failing call was about, for the messages. */
interface Target {
  /** What the call does, e.g. `create the document "Weekly summary"`. */
  readonly what: string;
  readonly folderId?: string;
}

/**
 * Drive v3 over `fetch` (Web APIs only: this runs in workerd too). The document is one multipart upload
 * (metadata plus Markdown, at most 5 MB); Drive converts the Markdown into a Google Doc because the
 * metadata asks for that type.
 */
export function createGoogleDriveClient(options: GoogleDriveClientOptions = {}): GoogleDrive {
  const apiUrl = (options.apiUrl ?? 'https://www.googleapis.com').replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const send = options.fetch ?? fetch;

  async function call(
    accessToken: string,
    target: Target,
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
  ): Promise<unknown> {
    let answer: ExchangeAnswer;
    try {
      answer = await exchange(send, {
        method: init.method,
        url,
        headers: { ...init.headers, accept: 'application/json', authorization: `Bearer ${accessToken}` },
        ...(init.body === undefined ? {} : { body: init.body }),
        timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      throw new IntegrationError(
        'google',
        'integration_unavailable',
        `Google Drive did not answer when asked to ${target.what}; try again later`,
        { cause: error.cause },
      );
    }
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw failure(answer.status, answer.body, target, accessToken);
  }

  return {
    async about(accessToken: string): Promise<GoogleAccount> {
      const url = `${apiUrl}/drive/v3/about?${new URLSearchParams({ fields: 'user(emailAddress,displayName)' })}`;
      const body = expect(
        aboutBody,
        await call(accessToken, { what: 'tell which account it is connected to' }, url, { method: 'GET' }),
        'about',
      );
      return { email: body.user.emailAddress, displayName: body.user.displayName ?? body.user.emailAddress };
    },

    async createDocument(accessToken: string, doc: GoogleDocumentDraft): Promise<GoogleDocument> {
      const query = new URLSearchParams({
        uploadType: 'multipart',
        supportsAllDrives: 'true',
        fields: 'id,name,webViewLink',
      });
      const metadata = JSON.stringify({ name: doc.name, parents: [doc.folderId], mimeType: GOOGLE_DOC });
      let boundary = `baton-${crypto.randomUUID()}`;
      while (doc.markdown.includes(boundary) || doc.name.includes(boundary)) boundary = `baton-${crypto.randomUUID()}`;
      const body = [
        `--${boundary}`,
        'Content-Type: application/json; charset=UTF-8',
        '',
        metadata,
        `--${boundary}`,
        'Content-Type: text/markdown; charset=UTF-8',
        '',
        doc.markdown,
        `--${boundary}--`,
        '',
      ].join('\r\n');
      const target = { what: `create the document "${doc.name}"`, folderId: doc.folderId };
      const answer = await call(accessToken, target, `${apiUrl}/upload/drive/v3/files?${query}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/related; boundary=${boundary}` },
        body,
      });
      const file = expect(fileBody, answer, 'files.create');
      return {
        id: file.id,
        name: file.name,
        url: file.webViewLink ?? `https://docs.google.com/document/d/${encodeURIComponent(file.id)}/edit`,
      };
    },
  };
}

/**
 * A Drive error answer as an `IntegrationError`. Drive's own message is kept only for a 400 (it names
 * the bad field) and scrubbed of the access token, should Google ever echo it.
 */
function failure(status: number, body: unknown, target: Target, accessToken: string): IntegrationError {
  const parsed = errorBody.safeParse(body);
  const reason = parsed.success ? parsed.data.error.errors?.[0]?.reason : undefined;
  const message = parsed.success ? parsed.data.error.message?.replaceAll(accessToken, '[redacted]') : undefined;
  const withStatus = { status };
  if (status === 401) {
    return new IntegrationError(
      'google',
      'integration_revoked',
      'The Google Drive connection was revoked or its access has expired; ' +
        'if this keeps happening, an admin must connect Google Drive again',
      withStatus,
    );
  }
  if (status === 429 || status >= 500 || (status === 403 && reason !== undefined && RATE_LIMITED.has(reason))) {
    return new IntegrationError(
      'google',
      'integration_unavailable',
      `Google Drive is unavailable or rate limited (status ${status}) and could not ${target.what}; try again later`,
      withStatus,
    );
  }
  if (status === 403 && reason === 'storageQuotaExceeded') {
    return new IntegrationError(
      'google',
      'integration_rejected',
      `The connected Google account’s storage is full, so Google Drive could not ${target.what}`,
      withStatus,
    );
  }
  if (status === 404 && target.folderId !== undefined) {
    return new IntegrationError(
      'google',
      'integration_denied',
      `The Google Drive folder ${target.folderId} does not exist or was not shared with Baton; choose the folder again`,
      withStatus,
    );
  }
  if (status === 403 || status === 404) {
    const where = target.folderId === undefined ? '' : ` in the folder ${target.folderId}`;
    return new IntegrationError(
      'google',
      'integration_denied',
      `The Google Drive connection may not ${target.what}${where}`,
      withStatus,
    );
  }
  return new IntegrationError(
    'google',
    'integration_rejected',
    `Google Drive refused to ${target.what} (status ${status}${message === undefined ? '' : `: ${message}`})`,
    withStatus,
  );
}

/** A 2xx body checked against Drive's documented shape; a mismatch is a bug, not an outage. */
function expect<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new Error(
      `Google Drive ${what}: the answer does not have the documented shape (` +
        `${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  return result.data;
}
