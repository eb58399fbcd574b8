import { Link } from 'react-router';
import { Notice } from './app-layout.tsx';

/** A console path that names no page. */
export function NotFoundPage() {
  return (
    <Notice title="Page not found">
      <p>
        There is no page here. <Link to="/">Go home</Link>.
      </p>
    </Notice>
  );
}
