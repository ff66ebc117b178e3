// mongosh script of init-replica-set.sh, run on the first member alone when no member has a set configuration:
// initiates the replica set unless it already is. Credentials come from the environment, never the command line.
const admin = db.getSiblingDB('admin');
// The root user exists on this member only until the set is initiated (the image made it on its first start).
admin.auth(process.env.MONGO_ROOT_USERNAME, process.env.MONGO_ROOT_PASSWORD);

// The shell may throw a failed command's answer or return it, depending on the command: take both the same way.
function run(command) {
  try {
    return admin.runCommand(command);
  } catch (error) {
    return error;
  }
}

const status = run({ replSetGetStatus: 1 }); // what rs.status() asks
if (status.ok === 1) {
  print(`mongo-init: replica set ${status.set} already initiated`);
} else if (status.codeName === 'NotYetInitialized') {
  const config = {
    _id: process.env.MONGO_REPLICA_SET,
    // Three data-bearing voting members and no arbiter, so the implicit write concern stays w: majority.
    members: process.env.MONGO_MEMBERS.split(',').map((host, index) => ({ _id: index, host })),
  };
  const result = run({ replSetInitiate: config }); // what rs.initiate() asks
  if (result.ok === 1) {
    print(`mongo-init: initiated replica set ${config._id}: ${process.env.MONGO_MEMBERS}`);
  } else if (result.codeName === 'AlreadyInitialized') {
    print(`mongo-init: replica set ${config._id} was initiated meanwhile`);
  } else {
    throw new Error(`replSetInitiate failed: ${result.codeName}: ${result.errmsg || result.message}`);
  }
} else {
  throw new Error(`replSetGetStatus failed: ${status.codeName}: ${status.errmsg || status.message}`);
}
