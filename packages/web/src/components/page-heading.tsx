import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import { hasNavigated, useLocation } from '../router/router.js';
import { Notice } from './error-alert.js';

/**
 * The page's <h1>. After an in-app navigation it takes focus, so screen
 * reader and keyboard users start at the new page's title rather than at the
 * link they clicked (WCAG 2.4.3 focus order). On the first load focus stays
 * at the top of the document, where the skip link is.
 *
 * Below it comes the notice the previous page left in the navigation state
 * (e.g. "You were signed out after inactivity").
 */
export function PageHeading({ children }: { readonly children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (hasNavigated()) ref.current?.focus();
  }, []);
  const { notice } = useLocation();
  return (
    <>
      <h1 ref={ref} tabIndex={-1} className="page-heading">
        {children}
      </h1>
      <Notice tone="info">{notice}</Notice>
    </>
  );
}
