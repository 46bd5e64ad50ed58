import { CurrentUser, invalid, PageQueryDto, type Principal } from '@herald/common';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SNIFF_BYTES } from './csv-format.js';
import {
  CreateImportDto,
  ImportCreatedDto,
  ImportDto,
  ImportPageDto,
  ImportPreviewDto,
  PreviewImportDto,
} from './imports.dto.js';
import { ImportsService } from './imports.service.js';
import { parseMapping } from './mapping.js';
import { previewCsv } from './preview.js';
import { UploadErrorsInterceptor } from './upload-errors.interceptor.js';
import type { UploadedCsv } from './upload-storage.js';

@ApiTags('imports')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('imports')
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  @Post()
  @HttpCode(202)
  @UseInterceptors(UploadErrorsInterceptor, FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: CreateImportDto })
  @ApiOperation({
    summary: 'Upload a CSV of contacts; it is checked at once and imported in the background',
    description:
      'Returns 202 with the import id; follow it with GET /imports/{id}. 400 names `file`, `mapping` or ' +
      '`listId` when the upload cannot be imported; 413 past HERALD_IMPORT_MAX_BYTES.',
  })
  @ApiAcceptedResponse({ type: ImportCreatedDto })
  @ApiPayloadTooLargeResponse({ description: 'The file is larger than HERALD_IMPORT_MAX_BYTES' })
  create(
    @UploadedFile() file: UploadedCsv | undefined,
    @Body() body: CreateImportDto,
    @CurrentUser() user: Principal,
  ): Promise<ImportCreatedDto> {
    if (!file) throw invalid('Attach the CSV file as the multipart part "file"', { file: 'no file uploaded' });
    return this.imports.create({
      upload: file.upload,
      fileName: file.originalname,
      listId: body.listId,
      mapping: parseMapping(body.mapping),
      mode: body.mode,
      unknownColumns: body.unknownColumns,
      createdBy: user.userId,
    });
  }

  @Post('preview')
  @HttpCode(200)
  // Held in memory, not stored: it is at most the 64 KiB detection looks at, and no import is made.
  @UseInterceptors(
    FileInterceptor('file', { storage: memoryStorage(), limits: { fileSize: SNIFF_BYTES, files: 1, fields: 2 } }),
  )
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: PreviewImportDto })
  @ApiOperation({
    summary: "Read a CSV's beginning as an import would: encoding, delimiter, first rows and each column's target",
    description:
      'Send the first 64 KiB of the file (or all of a smaller one); nothing is stored. 400 names `file` when ' +
      'the sample cannot be read; 413 above 64 KiB.',
  })
  @ApiOkResponse({ type: ImportPreviewDto })
  @ApiBadRequestResponse({ description: 'No readable CSV; `fields.file` says why' })
  @ApiPayloadTooLargeResponse({ description: 'The sample is larger than 64 KiB' })
  preview(@UploadedFile() file: Express.Multer.File | undefined, @Body() body: PreviewImportDto): ImportPreviewDto {
    if (!file) throw invalid('Attach the start of the CSV file as the multipart part "file"', { file: 'no file' });
    // A sample shorter than the detection window is the whole file; a full one may end mid-line.
    return previewCsv(file.buffer, file.size < SNIFF_BYTES, body.unknownColumns ?? 'ignore');
  }

  @Get()
  @ApiOperation({ summary: 'Imports, newest first' })
  @ApiOkResponse({ type: ImportPageDto })
  list(@Query() query: PageQueryDto): Promise<ImportPageDto> {
    return this.imports.list(query.limit, query.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, counts and progress of an import' })
  @ApiOkResponse({ type: ImportDto })
  get(@Param('id') id: string): Promise<ImportDto> {
    return this.imports.get(id);
  }

  @Get(':id/errors.csv')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: 'The rejected rows as CSV: row (data row number, 1 = first row after the header), email, reason',
  })
  async errors(@Param('id') id: string): Promise<StreamableFile> {
    const records = this.imports.errorRecords(id);
    // Pull the first record now so that an unknown import is a 404, not a broken download.
    const first = await records.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* records;
    }
    const csv = stringify();
    // pipeline (not pipe) so a database error mid-download ends the response instead of leaving it hanging.
    pipeline(Readable.from(all()), csv).catch(() => undefined);
    return new StreamableFile(csv, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="import-${id}-errors.csv"`,
    });
  }
}
