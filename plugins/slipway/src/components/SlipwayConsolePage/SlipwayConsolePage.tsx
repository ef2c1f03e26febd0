import {
  Content,
  ContentHeader,
  Header,
  Page,
  SupportButton,
} from '@backstage/core-components';
import { Grid } from '@material-ui/core';
import { HealthPanel } from '../HealthPanel';
import { LiveFeed } from '../LiveFeed';

/**
 * The platform-wide Slipway console at `/slipway`: every OASIS event of every
 * repository and app, live, plus the backend's health.
 *
 * @public
 */
export function SlipwayConsolePage(props: {
  pageSize?: number;
  height?: number;
}) {
  return (
    <Page themeId="tool">
      <Header
        title="Slipway"
        subtitle="Template to running container, with CI/CD live"
      />
      <Content>
        <ContentHeader title="Live console">
          <SupportButton>
            Every GitHub delivery and deploy step Slipway receives, as it
            happens. Slipway creates services from templates, deploys them as
            containers and streams their CI/CD events.
          </SupportButton>
        </ContentHeader>
        <Grid container spacing={3}>
          <Grid item xs={12} lg={9}>
            <LiveFeed
              title="Platform live feed"
              pageSize={props.pageSize}
              height={props.height ?? 640}
            />
          </Grid>
          <Grid item xs={12} lg={3}>
            <HealthPanel />
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
