/**
 * Build environments as Jenkins sets them. Shapes from Jenkins' own
 * `<JENKINS_URL>env-vars.html` (JENKINS_URL, JOB_NAME, BUILD_TAG =
 * `jenkins-${JOB_NAME}-${BUILD_NUMBER}` with `/` as `-`, …), the Git plugin's
 * documented variables (GIT_URL, GIT_COMMIT, GIT_BRANCH = `origin/<branch>`,
 * GIT_LOCAL_BRANCH) and the Branch API plugin's multibranch ones
 * (BRANCH_NAME, TAG_NAME, CHANGE_ID, CHANGE_URL, CHANGE_TARGET,
 * CHANGE_BRANCH; GIT_BRANCH equals BRANCH_NAME there).
 */
export const COMMIT = "4a1c9e2f0b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e";
const CONTROLLER = "https://ci.example.com/";

export const freestyle = {
  JENKINS_URL: CONTROLLER,
  JOB_NAME: "app-build",
  JOB_BASE_NAME: "app-build",
  JOB_URL: `${CONTROLLER}job/app-build/`,
  BUILD_NUMBER: "17",
  BUILD_ID: "17",
  BUILD_DISPLAY_NAME: "#17",
  BUILD_TAG: "jenkins-app-build-17",
  BUILD_URL: `${CONTROLLER}job/app-build/17/`,
  NODE_NAME: "built-in",
  NODE_LABELS: "built-in",
  EXECUTOR_NUMBER: "1",
  WORKSPACE: "/var/jenkins_home/workspace/app-build",
  GIT_URL: "https://github.com/acme/app.git",
  GIT_COMMIT: COMMIT,
  GIT_PREVIOUS_COMMIT: "0000000000000000000000000000000000000001",
  GIT_BRANCH: "origin/main",
};

export const pipeline = {
  JENKINS_URL: CONTROLLER,
  JOB_NAME: "platform/app-release",
  JOB_BASE_NAME: "app-release",
  JOB_URL: `${CONTROLLER}job/platform/job/app-release/`,
  BUILD_NUMBER: "5",
  BUILD_ID: "5",
  BUILD_TAG: "jenkins-platform-app-release-5",
  BUILD_URL: `${CONTROLLER}job/platform/job/app-release/5/`,
  NODE_NAME: "linux-agent-3",
  EXECUTOR_NUMBER: "0",
  WORKSPACE: "/home/jenkins/workspace/platform_app-release",
  GIT_URL: "https://github.com/acme/app.git",
  GIT_COMMIT: COMMIT,
  GIT_BRANCH: "origin/release/2.x",
  GIT_LOCAL_BRANCH: "release/2.x",
};

const multibranchBase = {
  JENKINS_URL: CONTROLLER,
  NODE_NAME: "linux-agent-1",
  EXECUTOR_NUMBER: "2",
  GIT_URL: "https://github.com/acme/app.git",
  GIT_COMMIT: COMMIT,
};

export const multibranch = {
  ...multibranchBase,
  JOB_NAME: "acme/app/main",
  JOB_BASE_NAME: "main",
  JOB_URL: `${CONTROLLER}job/acme/job/app/job/main/`,
  BUILD_NUMBER: "42",
  BUILD_ID: "42",
  BUILD_TAG: "jenkins-acme-app-main-42",
  BUILD_URL: `${CONTROLLER}job/acme/job/app/job/main/42/`,
  BRANCH_NAME: "main",
  BRANCH_IS_PRIMARY: "true",
  GIT_BRANCH: "main",
};

export const tag = {
  ...multibranchBase,
  JOB_NAME: "acme/app/v1.4.0",
  JOB_URL: `${CONTROLLER}job/acme/job/app/view/tags/job/v1.4.0/`,
  BUILD_NUMBER: "1",
  BUILD_URL: `${CONTROLLER}job/acme/job/app/view/tags/job/v1.4.0/1/`,
  BRANCH_NAME: "v1.4.0",
  TAG_NAME: "v1.4.0",
  TAG_TIMESTAMP: "1795000000000",
  GIT_BRANCH: "v1.4.0",
};

export const pullRequest = {
  ...multibranchBase,
  JOB_NAME: "acme/app/PR-12",
  JOB_URL: `${CONTROLLER}job/acme/job/app/view/change-requests/job/PR-12/`,
  BUILD_NUMBER: "3",
  BUILD_URL: `${CONTROLLER}job/acme/job/app/view/change-requests/job/PR-12/3/`,
  BRANCH_NAME: "PR-12",
  CHANGE_ID: "12",
  CHANGE_URL: "https://github.com/acme/app/pull/12",
  CHANGE_TITLE: "Add login",
  CHANGE_AUTHOR: "octocat",
  CHANGE_TARGET: "main",
  CHANGE_BRANCH: "feature/login",
  CHANGE_FORK: "octocat/app",
  GIT_BRANCH: "PR-12",
};
