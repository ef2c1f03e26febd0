import { Link } from '@backstage/core-components';
import { Link as MuiLink } from '@material-ui/core';
import { httpUrl } from '@slipway/plugin-slipway-common';
import { ReactNode } from 'react';

/**
 * A link to a URL that came from the API (an event's link, a workflow
 * run's or a deployment's URL). Only an absolute http(s) URL becomes a
 * link; anything else (`javascript:`, `data:`, a relative path) renders its
 * text, inert. Backstage's own Link throws on a `javascript:` URL, which
 * would take the whole view down with it.
 *
 * `plain` renders a bare anchor (new tab) instead of Backstage's Link: the
 * live feed draws thousands of rows.
 */
export function HttpLink(props: {
  url: string | null | undefined;
  children?: ReactNode;
  plain?: boolean;
}) {
  const { url, children, plain } = props;
  const href = httpUrl(url);
  if (!href) return <>{children ?? url ?? null}</>;
  if (plain) {
    return (
      <MuiLink href={href} target="_blank" rel="noopener noreferrer">
        {children ?? url}
      </MuiLink>
    );
  }
  return <Link to={href}>{children ?? url}</Link>;
}
