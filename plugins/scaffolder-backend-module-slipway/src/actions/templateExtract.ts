import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  RepositoryAllowList,
  safeUrl,
  tokenForRepositoryUrl,
} from '@slipway/plugin-slipway-node';
import {
  fetchSubdirectory,
  FetchedSubdirectory,
} from '../extract/fetchSubdirectory';
import { DEFAULT_EXTRACT_LIMITS, ExtractLimits } from '../extract/limits';
import { inputSegments } from '../extract/outputPaths';
import { OutputTree } from '../extract/outputTree';
import { normalizeTemplatePath } from '../extract/pathSafety';
import { renderTemplateTree } from '../extract/renderTree';
import { examples } from './templateExtract.examples';

/**
 * `slipway:template:extract`: one subdirectory of a template repository at a
 * ref, rendered into the workspace.
 *
 * @internal
 */
export function createTemplateExtractAction(options: { config: Config }) {
  const { config } = options;
  const allowList = RepositoryAllowList.fromConfig(config);

  return createTemplateAction({
    id: 'slipway:template:extract',
    description:
      'Extracts one subdirectory of a template git repository (a sparse, blob-filtered, shallow fetch: the rest of the repository is not downloaded) and renders it into the workspace with ${{ values.x }}, like fetch:template.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z.string({
            description:
              'Git URL of the template repository (https://host/owner/repo or file:///path). Must be allowed by slipway.allowedRepositories.',
          }),
        ref: z =>
          z
            .string({
              description:
                'Branch, tag or commit sha. The repository default branch when omitted.',
            })
            .optional(),
        path: z =>
          z.string({
            description:
              'Subdirectory of the repository that holds the template, e.g. "node-service".',
          }),
        targetPath: z =>
          z
            .string({
              description:
                'Where in the workspace to write the result. Defaults to the workspace root.',
            })
            .optional(),
        values: z =>
          z
            .record(z.string(), z.any(), {
              description:
                'Values available to the template as ${{ values.name }}.',
            })
            .optional(),
        copyWithoutTemplating: z =>
          z
            .array(z.string(), {
              description:
                'Globs (relative to the template directory) of files copied without rendering.',
            })
            .optional(),
        provenanceFile: z =>
          z
            .string({
              description:
                'Relative path (inside targetPath) of a JSON file recording template URL, path, commit sha and values, e.g. ".slipway/template.json". Not written when omitted.',
            })
            .optional(),
        maxFiles: z =>
          z
            .number({ description: 'Most files the template may hold (2000).' })
            .int()
            .positive()
            .optional(),
        maxFileBytes: z =>
          z
            .number({ description: 'Largest single file in bytes (10 MiB).' })
            .int()
            .positive()
            .optional(),
        maxTotalBytes: z =>
          z
            .number({ description: 'Largest template in bytes (100 MiB).' })
            .int()
            .positive()
            .optional(),
      },
      output: {
        commitSha: z =>
          z.string({ description: 'The commit the ref resolved to.' }),
        fileCount: z => z.number({ description: 'Files and links written.' }),
        targetPath: z =>
          z.string({ description: 'The target path inside the workspace.' }),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const { subdirectory, targetPath, targetSegments, provenanceSegments } =
        extractPaths(input, allowList);
      const limits = extractLimits(input);
      const token = await tokenForRepositoryUrl(config, input.repoUrl);
      const fetch = async (ref?: string) =>
        fetchSubdirectory({
          repoUrl: input.repoUrl,
          ref,
          subdirectory,
          workDir: await ctx.createTemporaryDirectory(),
          token,
          limits,
          signal: ctx.signal,
          log: line => ctx.logger.debug(line),
        });

      ctx.logger.info(
        `Fetching ${subdirectory} of ${safeUrl(input.repoUrl)} at ${
          input.ref ?? 'the default branch'
        }`,
      );
      // The resolved commit is recorded, so a task recovered after a restart
      // extracts the very same commit even if the branch moved meanwhile.
      let fetched: FetchedSubdirectory | undefined;
      const commitSha = await ctx.checkpoint({
        key: `slipway.template.extract.commit:${input.repoUrl}#${
          input.ref ?? 'HEAD'
        }:${subdirectory}`,
        fn: async () => {
          fetched = await fetch(input.ref);
          return fetched.commitSha;
        },
      });
      if (!fetched) {
        fetched = await fetch(commitSha);
      }

      const output = await OutputTree.open(
        ctx.workspacePath,
        targetSegments,
        'targetPath',
      );
      const { fileCount } = await renderTemplateTree({
        sourceDir: fetched.dir,
        output,
        values: (input.values ?? {}) as JsonObject,
        copyWithoutTemplating: input.copyWithoutTemplating,
        limits,
        log: message => ctx.logger.info(message),
      });

      if (provenanceSegments) {
        await writeProvenance(output, provenanceSegments, {
          templateUrl: safeUrl(input.repoUrl),
          path: subdirectory,
          ref: input.ref ?? null,
          commitSha,
          values: input.values ?? {},
        });
      }

      ctx.logger.info(
        `Extracted ${fileCount} files of ${subdirectory} at ${commitSha.slice(
          0,
          12,
        )}${
          ctx.isDryRun
            ? ' (dry run: only the temporary workspace was written)'
            : ''
        }`,
      );
      ctx.output('commitSha', commitSha);
      ctx.output('fileCount', fileCount);
      ctx.output('targetPath', targetPath);
    },
  });
}

// The paths the input names, checked in this order: the template path, the
// repository against the allow-list, then the target and provenance paths.
function extractPaths(
  input: {
    repoUrl: string;
    path: string;
    targetPath?: string;
    provenanceFile?: string;
  },
  allowList: RepositoryAllowList,
) {
  const subdirectory = normalizeTemplatePath(input.path);
  allowList.assertAllowed(input.repoUrl, 'extract a template');
  const targetPath = input.targetPath ?? './';
  const targetSegments = inputSegments(targetPath, 'targetPath');
  const provenanceSegments = input.provenanceFile
    ? inputSegments(input.provenanceFile, 'provenanceFile')
    : undefined;
  if (provenanceSegments?.length === 0) {
    throw new InputError(
      `Invalid provenanceFile "${input.provenanceFile}": name a file inside targetPath, e.g. ".slipway/template.json".`,
    );
  }
  return { subdirectory, targetPath, targetSegments, provenanceSegments };
}

function extractLimits(input: Partial<ExtractLimits>): ExtractLimits {
  return {
    maxFiles: input.maxFiles ?? DEFAULT_EXTRACT_LIMITS.maxFiles,
    maxFileBytes: input.maxFileBytes ?? DEFAULT_EXTRACT_LIMITS.maxFileBytes,
    maxTotalBytes: input.maxTotalBytes ?? DEFAULT_EXTRACT_LIMITS.maxTotalBytes,
  };
}

async function writeProvenance(
  output: OutputTree,
  segments: string[],
  provenance: JsonObject,
) {
  await output.writeFile(
    segments,
    `${JSON.stringify(provenance, null, 2)}\n`,
    0o644,
  );
}
