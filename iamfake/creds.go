package iamfake

const signingCertsPerUser = 2
