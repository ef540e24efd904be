import type { DomainException } from './domain.exception';

/**
 * How the {@link ProblemFilter} learns the problem of an exception that common cannot know: common imports
 * no module, so a module that throws its own exception class (MetaGateway's) exports a translator, and the
 * composition root (AppModule) hands it to the filter. Given anything thrown, a translator returns the
 * DomainException whose problem document answers it, or null when the exception is not of its kind; the
 * first translator that answers wins.
 */
export type ProblemTranslator = (exception: unknown) => DomainException | null;
