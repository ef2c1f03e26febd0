import {
  Content,
  ContentHeader,
  Header,
  Page,
  SupportButton,
} from '@backstage/core-components';
import { Grid } from '@material-ui/core';
import { HealthPanel } from '../HealthPanel';

/**
 * The platform-wide Slipway page at `/slipway`.
 *
 * @public
 */
export function SlipwayConsolePage() {
  return (
    <Page themeId="tool">
      <Header
        title="Slipway"
        subtitle="Template to running container, with CI/CD live"
      />
      <Content>
        <ContentHeader title="Console">
          <SupportButton>
            Slipway creates services from templates, deploys them as
            containers and streams their CI/CD events.
          </SupportButton>
        </ContentHeader>
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <HealthPanel />
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
