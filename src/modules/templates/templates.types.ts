/** The template a webhook is about (graph-api-2026.md §A.2): Meta's ID as a string, the language as sent. */
interface TemplateKey {
  templateId: string;
  name: string;
  language: string;
}

/** What one template webhook reports, as the templates module applies it. */
export type TemplateWebhookReport =
  | (TemplateKey & {
      kind: 'status';
      /** The status the event leaves the template in; null for events that are not a status (FLAGGED, LOCKED). */
      status: string | null;
      /** `message_template_category` (informative). */
      category: string | null;
      /** The pause's `other_info.title`, else the rejection `reason` (`NONE` = none). */
      reason: string | null;
    })
  | (TemplateKey & { kind: 'category-impending'; currentCategory: string; correctCategory: string })
  | (TemplateKey & { kind: 'category-completed'; previousCategory: string | null; newCategory: string })
  | (TemplateKey & { kind: 'quality'; quality: string })
  | (TemplateKey & { kind: 'components' });
