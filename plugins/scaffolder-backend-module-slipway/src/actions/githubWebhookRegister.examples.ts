import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Register the repository's webhook to this Backstage with the default events and verify that a ping arrives.",
    example: yaml.stringify({
      steps: [
        {
          id: 'webhook',
          action: 'slipway:github:webhook:register',
          name: 'Register webhook',
          input: {
            repoUrl: 'github.com?owner=acme&repo=orders',
            verify: true,
          },
        },
      ],
    }),
  },
  {
    description:
      'Register one organization-wide hook for workflow runs only, to an explicit URL. The URL must be listed in slipway.github.allowedWebhookUrls, and the user running the template needs the permission slipway.github.orgWebhook.create.',
    example: yaml.stringify({
      steps: [
        {
          id: 'webhook',
          action: 'slipway:github:webhook:register',
          name: 'Register organization webhook',
          input: {
            repoUrl: 'github.com?owner=acme',
            scope: 'organization',
            webhookUrl:
              'https://backstage.example.com/api/slipway/webhooks/github',
            events: ['workflow_run'],
          },
        },
      ],
    }),
  },
];
