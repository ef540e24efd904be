/** Answer to a stored delivery (Meta only looks at the 200). */
export class WebhookAckResponseDto {
  /** Always true: the delivery is durably stored (or was already). */
  received: boolean;

  /** True when the same payload had been received before; it is processed once. */
  duplicate: boolean;
}
