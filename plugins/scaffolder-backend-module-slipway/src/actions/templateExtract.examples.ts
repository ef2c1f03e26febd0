import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Extract the busybox static-site template from the default branch and record where it came from.',
    example: yaml.stringify({
      steps: [
        {
          id: 'extract',
          action: 'slipway:template:extract',
          name: 'Extract template',
          input: {
            repoUrl: 'file:///tmp/slipway/template-repo.git',
            path: 'busybox-site',
            values: { name: 'hello-site', owner: 'group:default/platform' },
            provenanceFile: '.slipway/template.json',
          },
        },
      ],
    }),
  },
  {
    description:
      'Extract a pinned tag of the Node.js template into a subdirectory, copying static assets without rendering.',
    example: yaml.stringify({
      steps: [
        {
          id: 'extract',
          action: 'slipway:template:extract',
          name: 'Extract template',
          input: {
            repoUrl: 'file:///tmp/slipway/template-repo.git',
            ref: 'v1',
            path: 'node-service',
            targetPath: './service',
            values: { name: 'orders', port: 3000 },
            copyWithoutTemplating: ['public/**'],
          },
        },
      ],
    }),
  },
];
