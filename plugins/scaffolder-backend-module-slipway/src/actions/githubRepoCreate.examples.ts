import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Create a private repository in an organization and push the workspace.',
    example: yaml.stringify({
      steps: [
        {
          id: 'repo',
          action: 'slipway:github:repo:create',
          name: 'Create repository',
          input: {
            repoUrl: 'github.com?owner=acme&repo=orders',
            description: 'Orders service',
            topics: ['slipway', 'nodejs'],
          },
        },
      ],
    }),
  },
  {
    description:
      'Create (or, on a re-run, reuse) a public repository in a user account with trunk as its default branch.',
    example: yaml.stringify({
      steps: [
        {
          id: 'repo',
          action: 'slipway:github:repo:create',
          name: 'Create repository',
          input: {
            repoUrl: 'github.com?owner=alice&repo=hello-site',
            visibility: 'public',
            defaultBranch: 'trunk',
            ifExists: 'reuse',
            gitCommitMessage: 'Scaffold hello-site',
          },
        },
      ],
    }),
  },
];
