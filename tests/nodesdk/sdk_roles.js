// The roles management methods of LoginRadius's Node SDK (roleApi) against
// the gateway (issue 20), called by sdk_calls.js with one tenant's SDK and
// an account of it; every answer asserted.

'use strict';

const assert = require('node:assert/strict');

module.exports = async function roles(client, uid, ok, refused, deleted) {
  const role = client.roleApi;
  const created = await ok('roleApi.createRoles', role.createRoles({
    roles: [{ name: 'sdk-editor', permissions: { Edit: true, Publish: true } }, { name: 'sdk-viewer', permissions: {} }],
  }));
  assert.equal(created.Count, 2, 'createRoles: Count');
  assert.deepEqual(created.data[0], { Name: 'sdk-editor', Permissions: { Edit: true, Publish: true } });
  await refused('roleApi.createRoles (taken)', role.createRoles({ roles: [{ name: 'sdk-editor' }] }), 1175);
  const list = await ok('roleApi.getRolesList', role.getRolesList());
  assert.deepEqual(list.data.map((r) => r.Name), ['sdk-editor', 'sdk-viewer']);
  assert.deepEqual((await ok('roleApi.addRolePermissions',
    role.addRolePermissions({ permissions: ['Read'] }, 'sdk-viewer'))).Permissions, { Read: true });
  assert.deepEqual((await ok('roleApi.removeRolePermissions',
    role.removeRolePermissions({ permissions: ['Publish'] }, 'sdk-editor'))).Permissions, { Edit: true });

  assert.deepEqual((await ok('roleApi.assignRolesByUid',
    role.assignRolesByUid({ roles: ['sdk-editor', 'sdk-viewer'] }, uid))).Roles, ['sdk-editor', 'sdk-viewer']);
  await refused('roleApi.assignRolesByUid (unknown role)', role.assignRolesByUid({ roles: ['nobody'] }, uid), 1047);
  assert.deepEqual((await ok('roleApi.getRolesByUid', role.getRolesByUid(uid))).Roles, ['sdk-editor', 'sdk-viewer']);
  deleted('unassignRolesByUid', await ok('roleApi.unassignRolesByUid', role.unassignRolesByUid({ roles: ['sdk-viewer'] }, uid)));

  const contexts = await ok('roleApi.updateRoleContextByUid', role.updateRoleContextByUid({
    rolecontext: [{ context: 'Home', roles: ['sdk-editor', 'sdk-viewer'], additionalpermissions: ['X', 'Y'], expiration: '07/15/2031 8:30:08 AM' }],
  }, uid));
  assert.deepEqual(contexts.Data, [{ Context: 'Home', Roles: ['sdk-editor', 'sdk-viewer'], AdditionalPermissions: ['X', 'Y'], Expiration: '2031-07-15T08:30:08Z' }]);
  assert.equal((await ok('roleApi.getRoleContextByUid', role.getRoleContextByUid(uid))).Data[0].Context, 'Home');
  const holders = await ok('roleApi.getRoleContextByContextName', role.getRoleContextByContextName('Home'));
  assert.deepEqual(holders.Data.map((p) => p.Uid), [uid]);
  deleted('deleteRolesFromRoleContextByUid', await ok('roleApi.deleteRolesFromRoleContextByUid',
    role.deleteRolesFromRoleContextByUid('Home', { roles: ['sdk-viewer'] }, uid)));
  deleted('deleteAdditionalPermissionFromRoleContextByUid', await ok('roleApi.deleteAdditionalPermissionFromRoleContextByUid',
    role.deleteAdditionalPermissionFromRoleContextByUid('Home', { additionalpermissions: ['Y'] }, uid)));
  await refused('roleApi.deleteRoleContextByUid (unknown)', role.deleteRoleContextByUid('Away', uid), 1133);
  deleted('deleteRoleContextByUid', await ok('roleApi.deleteRoleContextByUid', role.deleteRoleContextByUid('Home', uid)));

  deleted('deleteRole', await ok('roleApi.deleteRole', role.deleteRole('sdk-editor')));
  assert.deepEqual((await ok('roleApi.getRolesByUid (after deleteRole)', role.getRolesByUid(uid))).Roles, []);
};
