import { describe, expect, it } from 'vitest';
import { replicaFieldKey } from './gateway-deployment-form';

describe('replicaFieldKey', () => {
  const sent = [{ id: 3 }, { id: 7 }];

  it('puts a replica’s error in the row that was sent at its place', () => {
    expect(replicaFieldKey('deployments[2].replicas[1].endpoint', sent)).toBe('replica-7');
    expect(replicaFieldKey('deployments[0].replicas[0].api_key_env', sent)).toBe('replica-3-env');
  });

  it('leaves other fields, the whole list and unknown places to the rest of the form', () => {
    expect(replicaFieldKey('deployments.endpoint', sent)).toBeNull();
    expect(replicaFieldKey('deployments[2].replicas', sent)).toBeNull();
    expect(replicaFieldKey('deployments[2].replicas[5].endpoint', sent)).toBeNull();
  });
});
