package iamfake

// actions maps each Query action to its handler; mut marks the actions
// that change the account.
var actions = map[string]action{
	// Users
	"CreateUser":                    {(*Server).createUser, true},
	"GetUser":                       {(*Server).getUser, false},
	"DeleteUser":                    {(*Server).deleteUser, true},
	"ListUsers":                     {(*Server).listUsers, false},
	"UpdateUser":                    {(*Server).updateUser, true},
	"TagUser":                       {(*Server).tagUser, true},
	"UntagUser":                     {(*Server).untagUser, true},
	"ListUserTags":                  {(*Server).listUserTags, false},
	"PutUserPermissionsBoundary":    {(*Server).putUserPermissionsBoundary, true},
	"DeleteUserPermissionsBoundary": {(*Server).deleteUserPermissionsBoundary, true},

	// Groups
	"CreateGroup":         {(*Server).createGroup, true},
	"GetGroup":            {(*Server).getGroup, false},
	"DeleteGroup":         {(*Server).deleteGroup, true},
	"ListGroups":          {(*Server).listGroups, false},
	"UpdateGroup":         {(*Server).updateGroup, true},
	"AddUserToGroup":      {(*Server).addUserToGroup, true},
	"RemoveUserFromGroup": {(*Server).removeUserFromGroup, true},
	"ListGroupsForUser":   {(*Server).listGroupsForUser, false},

	// Roles
	"CreateRole":               {(*Server).createRole, true},
	"GetRole":                  {(*Server).getRole, false},
	"ListRoles":                {(*Server).listRoles, false},
	"DeleteRole":               {(*Server).deleteRole, true},
	"UpdateRole":               {(*Server).updateRole, true},
	"UpdateAssumeRolePolicy":   {(*Server).updateAssumeRolePolicy, true},
	"TagRole":                  {(*Server).tagRole, true},
	"UntagRole":                {(*Server).untagRole, true},
	"ListRoleTags":             {(*Server).listRoleTags, false},
	"PutRolePolicy":            {(*Server).putRolePolicy, true},
	"GetRolePolicy":            {(*Server).getRolePolicy, false},
	"DeleteRolePolicy":         {(*Server).deleteRolePolicy, true},
	"ListRolePolicies":         {(*Server).listRolePolicies, false},
	"AttachRolePolicy":         {(*Server).attachRolePolicy, true},
	"DetachRolePolicy":         {(*Server).detachRolePolicy, true},
	"ListAttachedRolePolicies": {(*Server).listAttachedRolePolicies, false},

	// Inline policies
	"PutUserPolicy":     {(*Server).putUserPolicy, true},
	"GetUserPolicy":     {(*Server).getUserPolicy, false},
	"DeleteUserPolicy":  {(*Server).deleteUserPolicy, true},
	"ListUserPolicies":  {(*Server).listUserPolicies, false},
	"PutGroupPolicy":    {(*Server).putGroupPolicy, true},
	"GetGroupPolicy":    {(*Server).getGroupPolicy, false},
	"DeleteGroupPolicy": {(*Server).deleteGroupPolicy, true},
	"ListGroupPolicies": {(*Server).listGroupPolicies, false},

	// Managed policies
	"CreatePolicy":              {(*Server).createPolicy, true},
	"GetPolicy":                 {(*Server).getPolicy, false},
	"DeletePolicy":              {(*Server).deletePolicy, true},
	"ListPolicies":              {(*Server).listPolicies, false},
	"CreatePolicyVersion":       {(*Server).createPolicyVersion, true},
	"GetPolicyVersion":          {(*Server).getPolicyVersion, false},
	"DeletePolicyVersion":       {(*Server).deletePolicyVersion, true},
	"ListPolicyVersions":        {(*Server).listPolicyVersions, false},
	"SetDefaultPolicyVersion":   {(*Server).setDefaultPolicyVersion, true},
	"AttachUserPolicy":          {(*Server).attachUserPolicy, true},
	"DetachUserPolicy":          {(*Server).detachUserPolicy, true},
	"ListAttachedUserPolicies":  {(*Server).listAttachedUserPolicies, false},
	"AttachGroupPolicy":         {(*Server).attachGroupPolicy, true},
	"DetachGroupPolicy":         {(*Server).detachGroupPolicy, true},
	"ListAttachedGroupPolicies": {(*Server).listAttachedGroupPolicies, false},
	"ListEntitiesForPolicy":     {(*Server).listEntitiesForPolicy, false},
	"TagPolicy":                 {(*Server).tagPolicy, true},
	"UntagPolicy":               {(*Server).untagPolicy, true},
	"ListPolicyTags":            {(*Server).listPolicyTags, false},

	// Access keys
	"CreateAccessKey":      {(*Server).createAccessKey, true},
	"DeleteAccessKey":      {(*Server).deleteAccessKey, true},
	"UpdateAccessKey":      {(*Server).updateAccessKey, true},
	"ListAccessKeys":       {(*Server).listAccessKeys, false},
	"GetAccessKeyLastUsed": {(*Server).getAccessKeyLastUsed, false},

	// Other credentials
	"CreateLoginProfile":              {(*Server).createLoginProfile, true},
	"GetLoginProfile":                 {(*Server).getLoginProfile, false},
	"UpdateLoginProfile":              {(*Server).updateLoginProfile, true},
	"DeleteLoginProfile":              {(*Server).deleteLoginProfile, true},
	"UploadSigningCertificate":        {(*Server).uploadSigningCertificate, true},
	"ListSigningCertificates":         {(*Server).listSigningCertificates, false},
	"UpdateSigningCertificate":        {(*Server).updateSigningCertificate, true},
	"DeleteSigningCertificate":        {(*Server).deleteSigningCertificate, true},
	"UploadSSHPublicKey":              {(*Server).uploadSSHPublicKey, true},
	"GetSSHPublicKey":                 {(*Server).getSSHPublicKey, false},
	"ListSSHPublicKeys":               {(*Server).listSSHPublicKeys, false},
	"UpdateSSHPublicKey":              {(*Server).updateSSHPublicKey, true},
	"DeleteSSHPublicKey":              {(*Server).deleteSSHPublicKey, true},
	"CreateServiceSpecificCredential": {(*Server).createServiceSpecificCredential, true},
	"ListServiceSpecificCredentials":  {(*Server).listServiceSpecificCredentials, false},
	"UpdateServiceSpecificCredential": {(*Server).updateServiceSpecificCredential, true},
	"DeleteServiceSpecificCredential": {(*Server).deleteServiceSpecificCredential, true},
	"ResetServiceSpecificCredential":  {(*Server).resetServiceSpecificCredential, true},
	"CreateVirtualMFADevice":          {(*Server).createVirtualMFADevice, true},
	"EnableMFADevice":                 {(*Server).enableMFADevice, true},
	"DeactivateMFADevice":             {(*Server).deactivateMFADevice, true},
	"DeleteVirtualMFADevice":          {(*Server).deleteVirtualMFADevice, true},
	"ListMFADevices":                  {(*Server).listMFADevices, false},
	"ListVirtualMFADevices":           {(*Server).listVirtualMFADevices, false},

	// Account, identity, permissions
	"GetAccountSummary":        {(*Server).getAccountSummary, false},
	"GenerateCredentialReport": {(*Server).generateCredentialReport, false}, // the report is not saved state
	"GetCredentialReport":      {(*Server).getCredentialReport, false},
	"SimulatePrincipalPolicy":  {(*Server).simulatePrincipalPolicy, false},
	"GetCallerIdentity":        {(*Server).getCallerIdentity, false}, // STS, same endpoint
	"AssumeRole":               {(*Server).assumeRole, false},        // STS: sessions are not saved state
}
