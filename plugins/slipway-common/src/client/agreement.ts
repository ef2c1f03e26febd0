import type * as Spec from '../generated';
import type {
  Deployment,
  OasisEvent,
  OasisEventInput,
  Page,
  SlipwayApp,
  SlipwayHealth,
} from '../types';
import type { DeploymentLogLine } from './types';

// Most public types of this package are the models generated from
// openapi.yaml, re-exported (../types.ts). The few written by hand say
// something the spec cannot, or keep a name; these checks make `yarn tsc`
// fail as soon as one of them and the spec disagree: `Same` where they
// describe the same JSON, `Fits` where the public type is deliberately
// narrower or wider (named in each line).

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Fits<A, B> = [A] extends [B] ? true : false;
type AllTrue<T extends true[]> = T;

/** Not used at run time; it only has to compile. */
export type SpecAgreement = AllTrue<
  [
    Same<Page<OasisEvent>, Spec.OasisEventPage>,
    Same<Page<Deployment>, Spec.DeploymentPage>,
    Same<Page<SlipwayApp>, Spec.AppPage>,
    // What the server sends fits the public line, whose fields are optional
    // for test doubles.
    Same<Required<DeploymentLogLine>, Spec.LogLine>,
    Fits<Spec.LogLine, DeploymentLogLine>,
    // Slipway's own producers validate more than POST /events states.
    Fits<OasisEventInput, Spec.OasisEventInput>,
    // The spec also allows the anonymous `{ status }`.
    Fits<SlipwayHealth, Spec.Health>,
  ]
>;
