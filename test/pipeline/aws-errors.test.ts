import { AccessDenied, InvalidObjectState, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { classifyAwsError, toPipelineError } from '../../pipeline/storage/aws-errors.js';
import { ObjectError, TransientError } from '../../pipeline/run/errors.js';

const meta = (httpStatusCode: number): { httpStatusCode: number; attempts: number } => ({ httpStatusCode, attempts: 4 });

function service(name: string, status: number, fault: 'client' | 'server'): S3ServiceException {
  return new S3ServiceException({ name, $fault: fault, $metadata: meta(status), message: `${name} happened` });
}

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyAwsError', () => {
  it('makes a missing object an unreadable ObjectError naming the object, the code and the status', () => {
    const e = classifyAwsError(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: meta(404) }), 's3://b/k');
    expect(e).toBeInstanceOf(ObjectError);
    expect(e?.code).toBe('unreadable');
    expect(e?.message).toBe('s3://b/k: object not found (NoSuchKey, HTTP 404)');
  });

  it('makes access denied and archived objects unreadable, with what went wrong', () => {
    expect(classifyAwsError(new AccessDenied({ message: 'Access Denied', $metadata: meta(403) }), 's3://b/k')?.message).toBe('s3://b/k: access denied (AccessDenied, HTTP 403)');
    expect(classifyAwsError(new InvalidObjectState({ message: 'archived', $metadata: meta(403) }), 's3://b/k')?.message).toBe(
      's3://b/k: object is archived (restore it first) (InvalidObjectState, HTTP 403)',
    );
  });

  it.each([
    [service('SlowDown', 503, 'server'), 'throttled'],
    [service('ThrottlingException', 400, 'client'), 'throttled'],
    [service('TooManyRequests', 429, 'client'), 'throttled'],
    [service('InternalError', 500, 'server'), 'service_unavailable'],
    [service('ServiceUnavailable', 503, 'server'), 'service_unavailable'],
    [Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }), 'timeout'],
    [nodeError('ECONNRESET', 'read ECONNRESET'), 'network'],
    [new Error('socket hang up'), 'network'],
  ])('makes %s a TransientError %s so the message is retried', (error, code) => {
    const e = classifyAwsError(error, 's3://b/k');
    expect(e).toBeInstanceOf(TransientError);
    expect(e?.code).toBe(code);
  });

  it('leaves errors that fit no tier to the caller', () => {
    const bug = new TypeError('x is not a function');
    expect(classifyAwsError(bug, 's3://b/k')).toBeNull();
    expect(toPipelineError(bug, 's3://b/k')).toBe(bug);
    expect(classifyAwsError(service('InvalidArgument', 400, 'client'), 's3://b/k')).toBeNull();
  });
});
