import type { SimTemplate, SimWaba } from './meta-simulator.types';

/**
 * A WABA's template by name and language, as Meta keys them (one template per name and language); by name
 * alone (its oldest language) when `language` is left out, as the control API's and events' callers may.
 * Looks at the templates themselves rather than their record keys, so that a state saved before templates
 * were keyed by language still finds them.
 */
export function findTemplate(waba: SimWaba, name: string, language?: string): SimTemplate | undefined {
  return Object.values(waba.templates).find(
    (template) => template.name === name && (language === undefined || template.language === language),
  );
}

/** The record key of a template in its WABA: name and language. */
export function templateKey(template: Pick<SimTemplate, 'name' | 'language'>): string {
  return `${template.name}:${template.language}`;
}
