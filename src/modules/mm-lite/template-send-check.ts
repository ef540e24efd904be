import { TemplateCategory, TemplateStatus } from 'src/modules/templates/templates.constants';
import type { TemplateLookup } from 'src/modules/templates/templates.service';

import { TemplateNotSendableException } from './mm-lite.exception';

/** The template a send names, as the request spelled it. */
export interface RequestedTemplate {
  name: string;
  language: string;
}

/**
 * Why Meta would refuse to send this template, from the WABA's stored templates (graph-api-2026.md §A.3:
 * only APPROVED templates are sent, and this endpoint is for MARKETING ones); null when it can go. Only the
 * completed category counts: a pending (impending) change neither reroutes nor refuses a send, as Meta
 * applies it only when it completes. A table that was never read decides nothing (the caller reads it first).
 */
export function templateRefusal(
  lookup: TemplateLookup,
  requested: RequestedTemplate,
): TemplateNotSendableException | null {
  const { template } = lookup;
  const quoted = `Template "${requested.name}"`;
  if (!template) {
    const elsewhere =
      lookup.languages.length > 0
        ? `it exists in ${lookup.languages.join(', ')}`
        : 'the WABA has no template of that name in any language';
    return new TemplateNotSendableException(
      'MISSING',
      `${quoted} does not exist in ${requested.language} (${elsewhere}). The message was not sent; send it in a language the template has, or create and approve it in that language first.`,
      lookup.languages.length > 0 ? 'template.language' : 'template.name',
      { template: requested.name, language: requested.language, languages: lookup.languages },
    );
  }
  const facts = {
    template: template.name,
    language: template.language,
    // `status` is the problem's HTTP status (RFC 9457): the template's goes by another name.
    templateStatus: template.status,
    category: template.category,
    pendingCategory: template.pendingCategory,
  };
  if (template.status !== TemplateStatus.APPROVED) {
    const why = template.reason ? `: ${template.reason}` : '';
    return new TemplateNotSendableException(
      'NOT_APPROVED',
      `${quoted} (${template.language}) is ${template.status ?? 'of unknown status'}${why}. Meta sends APPROVED templates only; the message was not sent. Check the template in WhatsApp Manager, or use another one.`,
      'template.name',
      { ...facts, statusReason: template.reason },
    );
  }
  if (template.category !== TemplateCategory.MARKETING) {
    return new TemplateNotSendableException(
      'NOT_MARKETING',
      `${quoted} (${template.language}) is a ${template.category ?? 'not yet categorised'} template. This endpoint is for marketing templates; utility and authentication templates are not sent here. The message was not sent.`,
      'template.name',
      facts,
    );
  }
  return null;
}
