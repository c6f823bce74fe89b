/**
 * The two RDS calls the exporter makes, behind a port (`RdsLogs`), and their SDK adapter: the
 * error an RDS call ends with is sorted into what the exporter does about it.
 */
import { DescribeDBLogFilesCommand, DownloadDBLogFilePortionCommand, type RDSClient } from '@aws-sdk/client-rds';
import { LoglakeError, toPipelineError } from '../../pipeline/index.js';

/** One log file as DescribeDBLogFiles lists it. */
export interface LogFileInfo {
  readonly name: string;
  /** Bytes. */
  readonly size: number;
  /** When the last entry was written, ms since the epoch. */
  readonly lastWritten: number;
}

/** One `DownloadDBLogFilePortion` answer. */
export interface Portion {
  readonly data: string;
  /** Where the next call continues (after the end of the file: where new lines will start). */
  readonly marker: string;
  /** True when there is more to download now. */
  readonly pending: boolean;
}

/** What the exporter needs of RDS. */
export interface RdsLogs {
  /** Every log file of the instance. */
  list(instance: string): Promise<LogFileInfo[]>;
  /** Up to `lines` lines of `file` after `marker` (`"0"`: from the beginning). */
  download(instance: string, file: string, marker: string, lines: number): Promise<Portion>;
}

/**
 * What went wrong with an RDS call, as the exporter acts on it:
 * - `instance_not_found`, `access_denied`: the instance is skipped this run with this error;
 * - `file_not_found`: the file went away between the listing and the download;
 * - `stale_marker`: RDS refused a marker it had returned (see `export.ts` for what follows).
 * Throttling and 5xx stay the pipeline's `TransientError` (after the SDK's own retries).
 */
export type RdsExportErrorCode = 'instance_not_found' | 'access_denied' | 'file_not_found' | 'stale_marker' | 'invalid_state';

export class RdsExportError extends LoglakeError<RdsExportErrorCode> {
  // Literal, since the bundle is minified.
  override readonly name = 'RdsExportError';
}

/** Error names RDS answers with, as the SDK exposes them. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'NotAuthorized']);
const BAD_PARAMETER = new Set(['InvalidParameterValue', 'InvalidParameterCombination', 'InvalidParameterValueException', 'ValidationError']);

function nameOf(e: unknown): string {
  if (typeof e !== 'object' || e === null) return '';
  const err = e as { name?: unknown; Code?: unknown; code?: unknown };
  return [err.Code, err.code, err.name].find((v): v is string => typeof v === 'string' && v !== '') ?? '';
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Sorts an error of an RDS call about `where`; `marker` is the marker the call sent, if any. */
export function rdsError(e: unknown, where: string, marker?: string): unknown {
  const name = nameOf(e);
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  if (name === 'DBInstanceNotFoundFault' || name === 'DBInstanceNotFound') {
    return new RdsExportError('instance_not_found', `${where}: no such DB instance in this account and region (${name})`, { cause: e });
  }
  if (ACCESS_DENIED.has(name) || status === 403) {
    return new RdsExportError('access_denied', `${where}: access denied (${name || 'HTTP 403'}): ${messageOf(e)}`, { cause: e });
  }
  if (name === 'DBLogFileNotFoundFault') return new RdsExportError('file_not_found', `${where}: the log file no longer exists (${name})`, { cause: e });
  if (name === 'InvalidDBInstanceStateFault') return new RdsExportError('invalid_state', `${where}: the instance cannot serve its logs now (${name}): ${messageOf(e)}`, { cause: e });
  if (marker !== undefined && marker !== '0' && BAD_PARAMETER.has(name)) {
    return new RdsExportError('stale_marker', `${where}: RDS refused the marker ${JSON.stringify(marker)} (${name}): ${messageOf(e)}`, { cause: e });
  }
  return toPipelineError(e, where);
}

/** `RdsLogs` over the SDK client. */
export class SdkRdsLogs implements RdsLogs {
  constructor(private readonly client: RDSClient) {}

  async list(instance: string): Promise<LogFileInfo[]> {
    const out: LogFileInfo[] = [];
    let marker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new DescribeDBLogFilesCommand({ DBInstanceIdentifier: instance, Marker: marker }));
      } catch (e) {
        throw rdsError(e, `DescribeDBLogFiles of ${instance}`);
      }
      for (const f of page.DescribeDBLogFiles ?? []) {
        if (f.LogFileName === undefined || f.LogFileName === '') continue;
        out.push({ name: f.LogFileName, size: f.Size ?? 0, lastWritten: f.LastWritten ?? 0 });
      }
      marker = page.Marker === '' ? undefined : page.Marker;
    } while (marker !== undefined);
    return out;
  }

  async download(instance: string, file: string, marker: string, lines: number): Promise<Portion> {
    let out;
    try {
      out = await this.client.send(new DownloadDBLogFilePortionCommand({ DBInstanceIdentifier: instance, LogFileName: file, Marker: marker, NumberOfLines: lines }));
    } catch (e) {
      throw rdsError(e, `DownloadDBLogFilePortion of ${instance} ${file}`, marker);
    }
    return { data: out.LogFileData ?? '', marker: out.Marker ?? marker, pending: out.AdditionalDataPending === true };
  }
}
