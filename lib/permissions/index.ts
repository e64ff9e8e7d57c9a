/**
 * The one permission layer. Every page, route handler and server action goes through it:
 *  - pages and actions get the actor from lib/session.ts (requireActor),
 *  - lists filter in SQL with the *WhereForActor fragments (scope.ts),
 *  - single objects are loaded through lib/queries/* helpers that apply the same fragments and
 *    return null out of scope, so the page answers notFound() (404, never a revealing 403),
 *  - actions check the per-action predicates below before changing anything.
 */
export * from './actor';
export * from './scope';
export * from './organizations';
export * from './users';
export * from './domains';
export * from './mailboxes';
export * from './requests';
export * from './logs';
export * from './mta';
export * from './trust';
