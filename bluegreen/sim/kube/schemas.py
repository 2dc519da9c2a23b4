"""A compact source of the built-in types' schemas, from which the OpenAPI documents are generated.

Each type is `name -> (description, fields, complete)`; a field is `name -> type` or `name -> (type,
description)`. Types: "string", "integer", "boolean", "number", "time", "int-or-string",
"quantity", "object" (free-form), "[]T" (list), "{}T" (map), or another type's name. A `complete`
type lists every field the real API has, so an unknown field in it is reported (fieldValidation);
an incomplete one keeps what it does not know, rather than reject a valid manifest.
"""

from __future__ import annotations

Field = str | tuple[str, str]
TypeDef = tuple[str, dict[str, Field], bool]

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
CORE = "io.k8s.api.core.v1."

_KIND_FIELDS: dict[str, Field] = {
    "apiVersion": ("string", "APIVersion defines the versioned schema of this representation of an object. "
                   "Servers should convert recognized schemas to the latest internal value, and may reject "
                   "unrecognized values."),
    "kind": ("string", "Kind is a string value representing the REST resource this object represents. Servers "
             "may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase."),
    "metadata": (META + "ObjectMeta", "Standard object's metadata."),
}


def kind(description: str, spec: str | None = None, status: str | None = "object", complete: bool = True,
         **more: Field) -> TypeDef:
    fields: dict[str, Field] = dict(_KIND_FIELDS)
    if spec:
        fields["spec"] = (spec, "Specification of the desired behavior.")
    if status:
        fields["status"] = (status, "Most recently observed status. Populated by the system. Read-only.")
    fields.update(more)
    return description, fields, complete


_POD_SPEC: dict[str, Field] = {
    "activeDeadlineSeconds": "integer", "affinity": "object", "automountServiceAccountToken": "boolean",
    "containers": ("[]" + CORE + "Container", "List of containers belonging to the pod. There must be at least "
                   "one container in a Pod. Cannot be updated."),
    "dnsConfig": "object", "dnsPolicy": "string", "enableServiceLinks": "boolean",
    "ephemeralContainers": "[]object", "hostAliases": "[]object", "hostIPC": "boolean", "hostNetwork": "boolean",
    "hostPID": "boolean", "hostUsers": "boolean", "hostname": "string", "imagePullSecrets": "[]object",
    "initContainers": ("[]" + CORE + "Container", "List of initialization containers belonging to the pod."),
    "nodeName": "string", "nodeSelector": "{}string", "os": "object", "overhead": "{}quantity",
    "preemptionPolicy": "string", "priority": "integer", "priorityClassName": "string", "readinessGates": "[]object",
    "resourceClaims": "[]object", "resources": "object", "restartPolicy": "string", "runtimeClassName": "string",
    "schedulerName": "string", "schedulingGates": "[]object", "securityContext": "object",
    "serviceAccount": "string",
    "serviceAccountName": ("string", "ServiceAccountName is the name of the ServiceAccount to use to run this pod."),
    "setHostnameAsFQDN": "boolean", "shareProcessNamespace": "boolean", "subdomain": "string",
    "terminationGracePeriodSeconds": ("integer", "Optional duration in seconds the pod needs to terminate "
                                      "gracefully. Defaults to 30 seconds."),
    "tolerations": "[]object", "topologySpreadConstraints": "[]object",
    "volumes": ("[]" + CORE + "Volume", "List of volumes that can be mounted by containers belonging to the pod."),
}

_CONTAINER: dict[str, Field] = {
    "args": "[]string", "command": "[]string", "env": "[]" + CORE + "EnvVar", "envFrom": "[]object",
    "image": ("string", "Container image name."), "imagePullPolicy": "string", "lifecycle": "object",
    "livenessProbe": "object", "name": ("string", "Name of the container specified as a DNS_LABEL."),
    "ports": "[]" + CORE + "ContainerPort", "readinessProbe": "object", "resizePolicy": "[]object",
    "resources": CORE + "ResourceRequirements", "restartPolicy": "string", "securityContext": "object",
    "startupProbe": "object", "stdin": "boolean", "stdinOnce": "boolean", "terminationMessagePath": "string",
    "terminationMessagePolicy": "string", "tty": "boolean", "volumeDevices": "[]object",
    "volumeMounts": "[]" + CORE + "VolumeMount", "workingDir": "string",
}

_SELECTOR = META + "LabelSelector"
_TEMPLATE = CORE + "PodTemplateSpec"

TYPES: dict[str, TypeDef] = {
    META + "ObjectMeta": ("ObjectMeta is metadata that all persisted resources must have.", {
        "annotations": "{}string", "creationTimestamp": "time", "deletionGracePeriodSeconds": "integer",
        "deletionTimestamp": "time", "finalizers": "[]string", "generateName": "string", "generation": "integer",
        "labels": ("{}string", "Map of string keys and values that can be used to organize and categorize "
                   "(scope and select) objects."),
        "managedFields": "[]object", "name": ("string", "Name must be unique within a namespace."),
        "namespace": "string", "ownerReferences": "[]object", "resourceVersion": "string", "selfLink": "string",
        "uid": "string"}, True),
    META + "LabelSelector": ("A label selector is a label query over a set of resources.", {
        "matchExpressions": "[]object", "matchLabels": "{}string"}, True),
    CORE + "PodTemplateSpec": ("PodTemplateSpec describes the data a pod should have when created from a template", {
        "metadata": META + "ObjectMeta", "spec": CORE + "PodSpec"}, True),
    CORE + "PodSpec": ("PodSpec is a description of a pod.", _POD_SPEC, True),
    CORE + "Container": ("A single application container that you want to run within a pod.", _CONTAINER, True),
    CORE + "ContainerPort": ("ContainerPort represents a network port in a single container.", {
        "containerPort": "integer", "hostIP": "string", "hostPort": "integer", "name": "string",
        "protocol": "string"}, True),
    CORE + "EnvVar": ("EnvVar represents an environment variable present in a Container.", {
        "name": "string", "value": "string", "valueFrom": "object"}, True),
    CORE + "VolumeMount": ("VolumeMount describes a mounting of a Volume within a container.", {
        "mountPath": "string", "mountPropagation": "string", "name": "string", "readOnly": "boolean",
        "recursiveReadOnly": "string", "subPath": "string", "subPathExpr": "string"}, True),
    CORE + "ResourceRequirements": ("ResourceRequirements describes the compute resource requirements.", {
        "claims": "[]object", "limits": "{}quantity", "requests": "{}quantity"}, True),
    CORE + "Volume": ("Volume represents a named volume in a pod that may be accessed by any container.", {
        "name": "string"}, False),
    CORE + "ServiceSpec": ("ServiceSpec describes the attributes that a user creates on a service.", {
        "allocateLoadBalancerNodePorts": "boolean", "clusterIP": "string", "clusterIPs": "[]string",
        "externalIPs": "[]string", "externalName": "string", "externalTrafficPolicy": "string",
        "healthCheckNodePort": "integer", "internalTrafficPolicy": "string", "ipFamilies": "[]string",
        "ipFamilyPolicy": "string", "loadBalancerClass": "string", "loadBalancerIP": "string",
        "loadBalancerSourceRanges": "[]string", "ports": "[]" + CORE + "ServicePort",
        "publishNotReadyAddresses": "boolean", "selector": "{}string", "sessionAffinity": "string",
        "sessionAffinityConfig": "object", "trafficDistribution": "string",
        "type": ("string", "type determines how the Service is exposed. Defaults to ClusterIP.")}, True),
    CORE + "ServicePort": ("ServicePort contains information on service's port.", {
        "appProtocol": "string", "name": "string", "nodePort": "integer", "port": "integer", "protocol": "string",
        "targetPort": "int-or-string"}, True),
    CORE + "Pod": kind("Pod is a collection of containers that can run on a host.", CORE + "PodSpec"),
    CORE + "Service": kind("Service is a named abstraction of software service (for example, mysql) consisting "
                           "of local port (for example 3306) that the proxy listens on, and the selector that "
                           "determines which pods will answer requests sent through the proxy.",
                           CORE + "ServiceSpec"),
    CORE + "ConfigMap": kind("ConfigMap holds configuration data for pods to consume.", None, None,
                             data="{}string", binaryData="{}string", immutable="boolean"),
    CORE + "Secret": kind("Secret holds secret data of a certain type.", None, None, data="{}string",
                          stringData="{}string", type="string", immutable="boolean"),
    CORE + "Namespace": kind("Namespace provides a scope for Names. Use of multiple namespaces is optional.",
                             "object"),
    CORE + "ServiceAccount": kind("ServiceAccount binds together: a name, understood by users, and perhaps by "
                                  "peripheral systems, for an identity; a principal that can be authenticated "
                                  "and authorized; a set of secrets", None, None,
                                  automountServiceAccountToken="boolean", imagePullSecrets="[]object",
                                  secrets="[]object"),
    CORE + "PersistentVolumeClaim": kind("PersistentVolumeClaim is a user's request for and claim to a "
                                         "persistent volume", "object"),
    "io.k8s.api.apps.v1.DeploymentSpec": ("DeploymentSpec is the specification of the desired behavior of the "
                                          "Deployment.", {
        "minReadySeconds": ("integer", "Minimum number of seconds for which a newly created pod should be ready "
                            "without any of its container crashing, for it to be considered available. Defaults "
                            "to 0 (pod will be considered available as soon as it is ready)"),
        "paused": ("boolean", "Indicates that the deployment is paused."),
        "progressDeadlineSeconds": ("integer", "The maximum time in seconds for a deployment to make progress "
                                    "before it is considered to be failed. Defaults to 600s."),
        "replicas": ("integer", "Number of desired pods. This is a pointer to distinguish between explicit zero "
                     "and not specified. Defaults to 1."),
        "revisionHistoryLimit": ("integer", "The number of old ReplicaSets to retain to allow rollback. "
                                 "Defaults to 10."),
        "selector": (_SELECTOR, "Label selector for pods. Existing ReplicaSets whose pods are selected by this "
                     "will be the ones affected by this deployment. It must match the pod template's labels."),
        "strategy": ("io.k8s.api.apps.v1.DeploymentStrategy", "The deployment strategy to use to replace existing "
                     "pods with new ones."),
        "template": (_TEMPLATE, "Template describes the pods that will be created. The only allowed "
                     "template.spec.restartPolicy value is \"Always\".")}, True),
    "io.k8s.api.apps.v1.DeploymentStrategy": ("DeploymentStrategy describes how to replace existing pods with "
                                              "new ones.", {
        "rollingUpdate": "io.k8s.api.apps.v1.RollingUpdateDeployment", "type": "string"}, True),
    "io.k8s.api.apps.v1.RollingUpdateDeployment": ("Spec to control the desired behavior of rolling update.", {
        "maxSurge": "int-or-string", "maxUnavailable": "int-or-string"}, True),
    "io.k8s.api.apps.v1.StatefulSetSpec": ("A StatefulSetSpec is the specification of a StatefulSet.", {
        "minReadySeconds": "integer", "ordinals": "object", "persistentVolumeClaimRetentionPolicy": "object",
        "podManagementPolicy": "string", "replicas": "integer", "revisionHistoryLimit": "integer",
        "selector": _SELECTOR, "serviceName": "string", "template": _TEMPLATE, "updateStrategy": "object",
        "volumeClaimTemplates": "[]object"}, True),
    "io.k8s.api.apps.v1.DaemonSetSpec": ("DaemonSetSpec is the specification of a daemon set.", {
        "minReadySeconds": "integer", "revisionHistoryLimit": "integer", "selector": _SELECTOR,
        "template": _TEMPLATE, "updateStrategy": "object"}, True),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("ReplicaSetSpec is the specification of a ReplicaSet.", {
        "minReadySeconds": "integer", "replicas": "integer", "selector": _SELECTOR, "template": _TEMPLATE}, True),
    "io.k8s.api.apps.v1.Deployment": kind("Deployment enables declarative updates for Pods and ReplicaSets.",
                                          "io.k8s.api.apps.v1.DeploymentSpec"),
    "io.k8s.api.apps.v1.StatefulSet": kind("StatefulSet represents a set of pods with consistent identities.",
                                           "io.k8s.api.apps.v1.StatefulSetSpec"),
    "io.k8s.api.apps.v1.DaemonSet": kind("DaemonSet represents the configuration of a daemon set.",
                                         "io.k8s.api.apps.v1.DaemonSetSpec"),
    "io.k8s.api.apps.v1.ReplicaSet": kind("ReplicaSet ensures that a specified number of pod replicas are running "
                                          "at any given time.", "io.k8s.api.apps.v1.ReplicaSetSpec"),
    "io.k8s.api.batch.v1.JobSpec": ("JobSpec describes how the job execution will look like.", {
        "activeDeadlineSeconds": "integer", "backoffLimit": "integer", "backoffLimitPerIndex": "integer",
        "completionMode": "string", "completions": "integer", "managedBy": "string", "manualSelector": "boolean",
        "maxFailedIndexes": "integer", "parallelism": "integer", "podFailurePolicy": "object",
        "podReplacementPolicy": "string", "selector": _SELECTOR, "successPolicy": "object", "suspend": "boolean",
        "template": _TEMPLATE, "ttlSecondsAfterFinished": "integer"}, True),
    "io.k8s.api.batch.v1.JobTemplateSpec": ("JobTemplateSpec describes the data a Job should have when created "
                                            "from a template", {
        "metadata": META + "ObjectMeta", "spec": "io.k8s.api.batch.v1.JobSpec"}, True),
    "io.k8s.api.batch.v1.CronJobSpec": ("CronJobSpec describes how the job execution will look like and when it "
                                        "will actually run.", {
        "concurrencyPolicy": "string", "failedJobsHistoryLimit": "integer",
        "jobTemplate": "io.k8s.api.batch.v1.JobTemplateSpec",
        "schedule": ("string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
        "startingDeadlineSeconds": "integer", "successfulJobsHistoryLimit": "integer",
        "suspend": ("boolean", "This flag tells the controller to suspend subsequent executions, it does not apply "
                    "to already started executions. Defaults to false."),
        "timeZone": "string"}, True),
    "io.k8s.api.batch.v1.Job": kind("Job represents the configuration of a single job.",
                                    "io.k8s.api.batch.v1.JobSpec"),
    "io.k8s.api.batch.v1.CronJob": kind("CronJob represents the configuration of a single cron job.",
                                        "io.k8s.api.batch.v1.CronJobSpec"),
}

# A kind without a detailed type above is served with a generic one: known top level, free-form spec.
GENERIC_DESCRIPTION = "{kind} ({group_version})."

# Lists merged by key in strategic merge patch, per (type, field); OpenAPI carries them as
# x-kubernetes-patch-merge-key, which kubectl's client-side apply reads.
PATCH_MERGE_KEYS: dict[tuple[str, str], str] = {
    (CORE + "PodSpec", "containers"): "name", (CORE + "PodSpec", "initContainers"): "name",
    (CORE + "PodSpec", "volumes"): "name", (CORE + "PodSpec", "imagePullSecrets"): "name",
    (CORE + "PodSpec", "ephemeralContainers"): "name", (CORE + "PodSpec", "hostAliases"): "ip",
    (CORE + "Container", "env"): "name", (CORE + "Container", "volumeMounts"): "mountPath",
    (CORE + "Container", "ports"): "containerPort", (CORE + "ServiceSpec", "ports"): "port",
    (META + "ObjectMeta", "ownerReferences"): "uid",
}
