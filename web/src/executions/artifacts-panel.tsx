import { useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { when } from './format.ts';
import type { ArtifactEntry } from './types.ts';

/** Links from runs are shown only when they cannot run script (http and https). */
function safeUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/** One artifact: its preview, and its whole content read on demand (GET /v1/artifacts/{id}). */
function ArtifactItem({ artifact }: { artifact: ArtifactEntry }) {
  const [content, setContent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const href = safeUrl(artifact.url);
  const load = async () => {
    try {
      setContent(
        (await unwrap(api.GET('/v1/artifacts/{id}', { params: { path: { id: artifact.id } } }))).content ?? '',
      );
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <li className="artifact">
      <h3>
        {artifact.title} <span className="kind">{artifact.kind}</span>
      </h3>
      <p className="meta">
        step {artifact.stepId} · {artifact.size} bytes · {when(artifact.createdAt)}
        {href === null ? null : (
          <>
            {' · '}
            <a href={href} rel="noopener noreferrer" target="_blank">
              open link
            </a>
          </>
        )}
      </p>
      {content === null ? (
        <>
          {artifact.preview === null ? null : <pre className="preview">{artifact.preview}</pre>}
          {artifact.size > 0 ? (
            <button type="button" onClick={() => void load()}>
              Show whole content
            </button>
          ) : null}
        </>
      ) : (
        <pre>{content}</pre>
      )}
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
    </li>
  );
}

/** What the execution's runs left behind. */
export function ArtifactsPanel({ artifacts }: { artifacts: ArtifactEntry[] }) {
  return (
    <section aria-labelledby="artifacts-heading" className="panel">
      <h2 id="artifacts-heading">Artifacts</h2>
      {artifacts.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <ul className="plain">
          {artifacts.map((a) => (
            <ArtifactItem key={a.id} artifact={a} />
          ))}
        </ul>
      )}
    </section>
  );
}
