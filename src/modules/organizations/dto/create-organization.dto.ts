import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';

/** Body of POST /api/v1/organizations. */
export class CreateOrganizationDto {
  /** Display name of the organization, 1–100 characters. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'name must not contain control characters' })
  name: string;
}
