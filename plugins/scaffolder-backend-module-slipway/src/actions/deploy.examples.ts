import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy the repository created in an earlier step and wait until it is running.',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'slipway:deploy',
          name: 'Deploy',
          input: {
            name: 'hello-site',
            repoUrl: '${{ steps.repo.output.remoteUrl }}',
            port: 8080,
            healthCheck: { path: '/health' },
            entityRef: 'component:default/hello-site',
          },
        },
      ],
    }),
  },
  {
    description:
      'Queue a deployment of a tag from a subdirectory without waiting for it.',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'slipway:deploy',
          name: 'Deploy',
          input: {
            name: 'orders',
            repoUrl: 'https://github.com/acme/orders.git',
            ref: 'v1.2.0',
            contextPath: 'service',
            port: 3000,
            env: { LOG_LEVEL: 'info' },
            wait: false,
          },
        },
      ],
    }),
  },
];
