// mongosh script of init-replica-set.sh, run through the replica set (so on its primary): the user every civicgrid
// process signs in as. Credentials come from the environment, never the command line.
const admin = db.getSiblingDB('admin');
admin.auth(process.env.MONGO_ROOT_USERNAME, process.env.MONGO_ROOT_PASSWORD);

const user = process.env.MONGO_APP_USERNAME;
// readWrite on the six service databases and nothing else: it covers what the services and the prepare step do
// (documents, transactions, collections and indexes), but no user management, no other database, no admin command.
const databases = process.env.MONGO_APP_DATABASES.split(',').map((name) => name.trim());
const roles = databases.map((name) => ({ role: 'readWrite', db: name }));

if (admin.getUser(user)) {
  // Setting the same password and roles again changes nothing; a password changed in .env, or databases moved by
  // DB_PREFIX, take effect here (restart the services afterwards).
  admin.updateUser(user, { pwd: process.env.MONGO_APP_PASSWORD, roles });
  print(`mongo-init: user ${user} exists; password and roles set to readWrite on ${databases.join(', ')}`);
} else {
  admin.createUser({ user, pwd: process.env.MONGO_APP_PASSWORD, roles });
  print(`mongo-init: created user ${user} with readWrite on ${databases.join(', ')}`);
}
