/**
 * Base of every domain event. Subclasses declare `static readonly eventName = '<subject>.<past-tense>'`
 * and readonly payload fields (ids and changed values, never entities).
 */
export abstract class DomainEvent {
  readonly occurredAt: Date = new Date();

  /** The event's name, read from the subclass's static `eventName`. */
  get eventName(): string {
    return (this.constructor as unknown as { eventName: string }).eventName;
  }
}

/** The constructor side of a DomainEvent subclass. */
export interface DomainEventClass<T extends DomainEvent> {
  readonly eventName: string;
  new (...args: never[]): T;
}
