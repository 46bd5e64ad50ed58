import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

function collect(errors: ValidationError[], prefix: string, out: Record<string, string>): void {
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) out[path] = Object.values(error.constraints).join('; ');
    if (error.children?.length) collect(error.children, path, out);
  }
}

/**
 * Rejects unknown fields and wrong types before a controller runs, with a
 * `fields` map naming every property at fault.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields: Record<string, string> = {};
      collect(errors, '', fields);
      const message = Object.entries(fields)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ');
      return new BadRequestException({ message: message || 'Invalid request', fields });
    },
  });
}
